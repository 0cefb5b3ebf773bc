"""audit_view: what a view calls when someone looks at a sensitive page."""

from django.test import RequestFactory

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_view


def test_it_records_who_viewed_which_object(
    rf: RequestFactory, administrator: User, staff: User
) -> None:
    request = rf.get("/users/")
    request.user = administrator

    audit_view(request, staff)

    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.VIEW
    assert event.actor == administrator
    assert event.object_type == "accounts.user"
    assert event.object_id == str(staff.pk)
    assert event.fields == []
