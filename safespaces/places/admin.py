from django.contrib import admin

from safespaces.admin_site import AuditedModelAdmin
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place


@admin.register(Place)
class PlaceAdmin(AuditedModelAdmin):
    """For administrators, who see every address; the Places pages are the usual way."""

    # Encrypted fields stay out of the list: it would decrypt every name and address at once.
    list_display = ["__str__", "kind", "archived", "updated_at"]
    list_filter = ["kind", "archived"]
    exclude = ["version"]
    opening_records = AuditEvent.Action.VIEW  # the change form shows the address
