from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from safespaces.accounts.roles import Role, has_role


class SafeSpacesAdminSite(admin.AdminSite):
    """The Django admin for administrators who have given both factors.

    It has no login page of its own: signing in goes through the app's two steps.
    """

    site_header = "SafeSpaces administration"
    site_title = "SafeSpaces administration"
    index_title = "Records"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_verified() and has_role(user, Role.ADMINISTRATOR)
        )

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        if request.user.is_authenticated:
            return render(request, "403.html", status=403)
        return redirect("accounts:login")


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose additions, changes and deletions also go to our audit trail.

    Django's own admin log keeps `str(obj)`, which is why no model's `__str__` shows an encrypted
    value; the audit event keeps only the model, the id and the changed field names.
    """

    def log_addition(self, request: HttpRequest, obj: object, message: object) -> object:
        from safespaces.audit.models import AuditEvent
        from safespaces.audit.services import audit_record

        audit_record(action=AuditEvent.Action.CREATE, actor=request.user, target=obj)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: object, message: object) -> object:
        from safespaces.audit.models import AuditEvent
        from safespaces.audit.services import audit_record

        changed = [name for entry in message or [] for name in entry.get("changed", {}).get("fields", [])]
        audit_record(action=AuditEvent.Action.CHANGE, actor=request.user, target=obj, fields=changed)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: object) -> object:
        from safespaces.audit.models import AuditEvent
        from safespaces.audit.services import audit_record

        for obj in queryset:
            audit_record(action=AuditEvent.Action.DELETE, actor=request.user, target=obj)
        return super().log_deletions(request, queryset)
