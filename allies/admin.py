from django.contrib import admin

from allies.models import Actor, Engagement, Relation
from safespaces.admin_site import AuditedModelAdmin
from safespaces.audit.models import AuditEvent


@admin.register(Actor)
class ActorAdmin(AuditedModelAdmin):
    """For administrators; the Allies pages are the usual way."""

    # Encrypted fields stay out of the list: it would decrypt every name and contact at once.
    list_display = ["__str__", "stance", "sector", "power", "archived", "updated_at"]
    list_filter = ["stance", "sector", "archived", "in_directory"]
    exclude = ["version"]
    opening_records = AuditEvent.Action.VIEW  # the change form shows contacts and notes


@admin.register(Engagement)
class EngagementAdmin(AuditedModelAdmin):
    list_display = ["__str__", "date", "kind", "outcome"]
    list_filter = ["kind", "outcome"]
    exclude = ["version"]
    # Who the contact was with and whom it names follow the consent rule of the app's form; the
    # admin may correct the rest.
    readonly_fields = ["actor", "person", "recorded_by"]
    opening_records = AuditEvent.Action.VIEW


@admin.register(Relation)
class RelationAdmin(AuditedModelAdmin):
    list_display = ["__str__", "kind", "created_at"]
    raw_id_fields = ["source", "target", "recorded_by"]
