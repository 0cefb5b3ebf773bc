from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from safespaces.accounts.roles import Role, has_role
from safespaces.accounts.services import session_end
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.branding import neutral_name

ViewT = TypeVar("ViewT", bound=Callable[..., HttpResponseBase])


class SafeSpacesAdminSite(admin.AdminSite):
    """The Django admin for administrators who have given both factors.

    It has no login page of its own: signing in goes through the app's two steps.
    """

    site_header = "SafeSpaces administration"
    site_title = "SafeSpaces administration"
    index_title = "Records"

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        if settings.NEUTRAL_MODE:
            # The tab title and header too: the browser's history keeps the title.
            context["site_title"] = context["site_header"] = neutral_name()
        return context

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_verified() and has_role(user, Role.ADMINISTRATOR))

    # The stubs say these return a TemplateResponse; Django's own versions redirect too.
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: object = None
    ) -> HttpResponse:
        # One place to change a password: ours audits it and ends the other sessions.
        return redirect("accounts:password_change")

    def logout(  # type: ignore[override]
        self, request: HttpRequest, extra_context: object = None
    ) -> HttpResponse:
        # Our sign-out, so that it is recorded like every other and ends the session's row.
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        session_end(request=request)
        messages.info(request, _("You are signed out."))
        return redirect("accounts:login")

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        if request.user.is_authenticated:
            return render(request, "403.html", status=403)
        return redirect("accounts:login")


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions also go to our audit trail.

    Django's own admin log keeps `str(obj)`, which is why no model's `__str__` shows an encrypted
    value; the audit event keeps only the model, the id and the changed field names.

    `opening_records` names the event that opening a change form is, for forms that show what
    the app hides (an identity, an address).
    """

    opening_records: AuditEvent.Action | None = None

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        if request.method == "GET" and self.opening_records:
            audit_record(
                action=self.opening_records,
                actor=request.user,
                object_type=self.model._meta.label_lower,
                object_id=str(object_id),
            )
        return super().change_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and hasattr(obj, "version"):
            # An in-app edit form opened before this save is then refused, not saved over it.
            obj.version += 1
        super().save_model(request, obj, form, change)
        action = AuditEvent.Action.CHANGE if change else AuditEvent.Action.CREATE
        audit_record(action=action, actor=request.user, target=obj, fields=form.changed_data)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(action=AuditEvent.Action.DELETE, actor=request.user, target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            audit_record(action=AuditEvent.Action.DELETE, actor=request.user, target=obj)
        super().delete_queryset(request, queryset)
