"""An erasure asked for tells the other administrators, who alone may approve it."""

import pytest

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Notification
from safespaces.people.alerts import ERASURE_WAITING
from safespaces.people.models import ErasureRequest
from safespaces.people.services import erasure_request
from tests.factories import PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_other_administrators_are_told_and_nobody_else(
    administrator: User, coordinator: User, staff: User
) -> None:
    second = UserFactory(role=Role.ADMINISTRATOR)
    person = PersonFactory(alias="Heron-canary")

    request = erasure_request(person=person, reason="She asked us to.", by=administrator)

    assert ErasureRequest.objects.filter(pk=request.pk, requested_by=administrator).exists()
    told = Notification.objects.filter(kind=ERASURE_WAITING)
    assert [notification.recipient for notification in told] == [second]
    # The link leads to the list behind the sign-in, and names nobody.
    assert told.get().link == "/people/erasures/"
