from django.contrib import admin

from riskassessment.models import Assessment, Measure, RiskSituation
from safespaces.admin_site import AuditedModelAdmin
from safespaces.audit.models import AuditEvent


@admin.register(RiskSituation)
class RiskSituationAdmin(AuditedModelAdmin):
    """For administrators, to read; the Risks pages are the usual way."""

    # Encrypted fields stay out of the list: it would decrypt every title at once.
    list_display = ["__str__", "kind", "status", "created_at"]
    list_filter = ["kind", "status"]
    exclude = ["version"]
    raw_id_fields = ["place", "participants", "people", "incidents", "check_in_with"]
    opening_records = AuditEvent.Action.VIEW


@admin.register(Assessment)
class AssessmentAdmin(AuditedModelAdmin):
    """Read only: a decided assessment is a record; a change is a new version in the app."""

    list_display = ["__str__", "number", "trigger", "decision", "residual_level", "created_at"]
    list_filter = ["trigger", "decision"]
    opening_records = AuditEvent.Action.VIEW

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Measure)
class MeasureAdmin(AuditedModelAdmin):
    list_display = ["__str__", "kind", "status", "due_on"]
    list_filter = ["kind", "status"]
    exclude = ["version"]
    raw_id_fields = ["situation", "owner", "ally", "threat", "vulnerability"]
    opening_records = AuditEvent.Action.VIEW
