from django.contrib import admin

from incidents.models import Incident, TimelineEntry
from safespaces.admin_site import AuditedModelAdmin
from safespaces.audit.models import AuditEvent


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin):
    """For administrators, to read and correct; the Incidents pages are the usual way. Changes
    made here bypass the timeline, so status, severity and visibility are changed in the app."""

    # Encrypted fields stay out of the list: it would decrypt every account at once.
    list_display = ["__str__", "kind", "category", "severity", "status", "visibility"]
    list_filter = ["kind", "category", "severity", "status", "visibility"]
    exclude = ["version"]
    readonly_fields = ["reporter", "status", "severity", "visibility", "shared_with"]
    raw_id_fields = ["affected_people", "source", "place", "welfare_done_by"]
    opening_records = AuditEvent.Action.VIEW


@admin.register(TimelineEntry)
class TimelineEntryAdmin(AuditedModelAdmin):
    """Read only: timeline entries are never edited or deleted."""

    list_display = ["__str__", "kind", "created_at"]
    list_filter = ["kind"]
    opening_records = AuditEvent.Action.VIEW

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
