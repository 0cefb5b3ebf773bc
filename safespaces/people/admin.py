from django.contrib import admin
from django.http import HttpRequest

from safespaces.admin_site import AuditedModelAdmin
from safespaces.audit.models import AuditEvent
from safespaces.people.models import IdentityGrant, Person


@admin.register(Person)
class PersonAdmin(AuditedModelAdmin):
    """Administrators may see and fix identities here; the in-app pages are the usual way."""

    list_display = ["alias", "relation", "consent_to_store", "archived_at"]
    list_filter = ["relation", "consent_to_store"]
    search_fields = ["alias"]
    exclude = ["consent_recorded_by", "erased_at", "version"]
    # The change form shows every identity field: opening it is a reveal.
    opening_records = AuditEvent.Action.REVEAL_IDENTITY

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # People are erased through the two-administrator erasure, never deleted here.
        return False


@admin.register(IdentityGrant)
class IdentityGrantAdmin(admin.ModelAdmin):
    """Read-only: grants are given and revoked on the Identity access page, where it is audited."""

    list_display = ["user", "person", "granted_at", "expires_at", "revoked_at"]
    list_select_related = ["user", "person"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
