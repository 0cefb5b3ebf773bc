"""Three days before an identity grant ends, its holder and the administrators are told, once,
unless it was revoked meanwhile. The warning is a task queued for that moment."""

from datetime import timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from safespaces.accounts.models import User
from safespaces.notifications.models import Notification
from safespaces.people.alerts import GRANT_ENDING, grant_ending_tell
from safespaces.people.models import IdentityGrant
from safespaces.people.services import grant_create, grant_revoke
from tests.conftest import local
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

GRANTED = local(2026, 5, 1, 9, 0)


def grant(holder: User, by: User, *, days: int) -> IdentityGrant:
    with time_machine.travel(GRANTED, tick=False):
        return grant_create(
            user=holder,
            person=PersonFactory(),
            reason="Court accompaniment",
            expires_at=GRANTED + timedelta(days=days),
            by=by,
        )


def warnings_queued(given: IdentityGrant) -> list[DBTaskResult]:
    return [
        row
        for row in DBTaskResult.objects.filter(task_path__endswith="grant_ending_tell")
        if row.args_kwargs["args"] == [str(given.pk)]
    ]


def test_the_warning_is_queued_for_three_days_before_the_end(
    staff: User, administrator: User
) -> None:
    given = grant(staff, administrator, days=10)

    [queued] = warnings_queued(given)
    assert queued.run_after == local(2026, 5, 8, 9, 0)


def test_a_grant_of_three_days_or_less_queues_no_warning(staff: User, administrator: User) -> None:
    given = grant(staff, administrator, days=3)

    assert IdentityGrant.objects.filter(pk=given.pk).exists()
    assert warnings_queued(given) == []


def test_the_holder_and_the_other_administrators_are_told(
    staff: User, administrator: User, coordinator: User
) -> None:
    given = grant(staff, administrator, days=10)

    with time_machine.travel(local(2026, 5, 8, 9, 0), tick=False):
        grant_ending_tell.call(str(given.pk))

    told = {n.recipient: n.link for n in Notification.objects.filter(kind=GRANT_ENDING)}
    assert told == {
        staff: f"/people/{given.person_id}/",
        administrator: "/people/grants/",
    }


def test_a_revoked_grant_tells_nobody(staff: User, administrator: User) -> None:
    given = grant(staff, administrator, days=10)
    grant_revoke(grant=given, by=administrator)

    with time_machine.travel(local(2026, 5, 8, 9, 0), tick=False):
        grant_ending_tell.call(str(given.pk))

    assert IdentityGrant.objects.get(pk=given.pk).revoked_by == administrator
    assert not Notification.objects.filter(kind=GRANT_ENDING).exists()
