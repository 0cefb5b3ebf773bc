from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from safespaces.admin_site import AuditedModelAdmin
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.places.models import Place


@admin.register(Place)
class PlaceAdmin(AuditedModelAdmin):
    """For administrators, who see every address; the Places pages are the usual way."""

    # Encrypted fields stay out of the list: it would decrypt every name and address at once.
    list_display = ["__str__", "kind", "archived", "updated_at"]
    list_filter = ["kind", "archived"]
    exclude = ["version"]

    def save_model(self, request: HttpRequest, obj: Place, form: Any, change: bool) -> None:
        if change:
            # So a Places edit form opened before this save is refused, not saved over it.
            obj.version += 1
        super().save_model(request, obj, form, change)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            # The change form shows the address.
            audit_record(
                action=AuditEvent.Action.VIEW,
                actor=request.user,
                object_type="places.place",
                object_id=str(object_id),
            )
        return super().change_view(request, object_id, *args, **kwargs)
