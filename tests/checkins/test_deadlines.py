"""A check-in's deadlines: the watchers hear when the time and its grace have passed, once; then,
if nobody acknowledges within 10 minutes, every coordinator and administrator. A deadline moved or
answered leaves its old task with nothing to do, and one that fires late says so."""

from datetime import timedelta

import pytest
import time_machine

from checkins.alerts import ESCALATED, MISSED
from checkins.deadlines import check_in_lapse
from checkins.models import CheckIn, CheckInEntry
from checkins.services import check_in_acknowledge, check_in_extend, check_in_safe
from safespaces.accounts.models import User
from safespaces.notifications.models import Notification
from tests.checkins.conftest import DUE, queued, run_deadlines_at, start
from tests.conftest import local

pytestmark = pytest.mark.django_db

ALERT_TIME = DUE + timedelta(minutes=10)  # the grace period is 10 minutes


def told(kind: str) -> set[str]:
    return {n.recipient.username for n in Notification.objects.filter(kind=kind)}


def test_starting_queues_the_alert_for_the_time_and_its_grace(
    staff: User, other_staff: User
) -> None:
    check_in = start(staff, [other_staff])

    [lapse] = queued("check_in_lapse", check_in)
    assert lapse.run_after == ALERT_TIME
    assert CheckIn.objects.get(pk=check_in.pk).status == CheckIn.Status.ACTIVE


def test_a_missed_check_in_alerts_its_watchers_only_and_queues_the_escalation(
    staff: User, other_staff: User, coordinator: User
) -> None:
    check_in = start(staff, [other_staff])

    assert run_deadlines_at(ALERT_TIME) == 1

    check_in.refresh_from_db()
    assert (check_in.status, check_in.alarm, check_in.alarm_at) == ("alarm", "missed", ALERT_TIME)
    assert told(MISSED) == {"sam"}  # not Lin, not a coordinator who does not watch
    [escalation] = queued("check_in_escalate", check_in)
    assert escalation.run_after == ALERT_TIME + timedelta(minutes=10)
    missed = check_in.entries.get(kind=CheckInEntry.Kind.MISSED)
    assert (missed.by, missed.late_minutes) == (None, None)


def test_a_deadline_alerts_once_however_often_its_task_runs(staff: User, other_staff: User) -> None:
    check_in = start(staff, [other_staff])
    [lapse] = queued("check_in_lapse", check_in)

    with time_machine.travel(ALERT_TIME, tick=False):
        check_in_lapse.call(*lapse.args_kwargs["args"])
        check_in_lapse.call(*lapse.args_kwargs["args"])  # a second worker, a retried task

    assert Notification.objects.filter(kind=MISSED).count() == 1
    assert check_in.entries.filter(kind=CheckInEntry.Kind.MISSED).count() == 1
    assert len(queued("check_in_escalate", check_in)) == 1


def test_checking_in_in_time_leaves_the_deadline_nothing_to_do(
    staff: User, other_staff: User
) -> None:
    check_in = start(staff, [other_staff])
    with time_machine.travel(local(2026, 6, 4, 21, 55), tick=False):
        check_in_safe(check_in=check_in, by=staff)

    assert run_deadlines_at(ALERT_TIME) == 1

    check_in.refresh_from_db()
    assert (check_in.status, check_in.outcome) == ("closed", "ended")
    assert told(MISSED) == set()


def test_more_time_moves_the_deadline_and_the_old_task_does_nothing(
    staff: User, other_staff: User
) -> None:
    check_in = start(staff, [other_staff])
    with time_machine.travel(local(2026, 6, 4, 21, 50), tick=False):
        check_in = check_in_extend(check_in=check_in, by=staff, minutes=30)

    assert check_in.due_at == DUE + timedelta(minutes=30)
    assert run_deadlines_at(ALERT_TIME) == 1  # the old deadline's task
    assert told(MISSED) == set()
    assert CheckIn.objects.get(pk=check_in.pk).status == CheckIn.Status.ACTIVE

    assert run_deadlines_at(ALERT_TIME + timedelta(minutes=30)) == 1
    assert told(MISSED) == {"sam"}


def test_a_deadline_that_passed_while_no_worker_ran_fires_and_says_how_late(
    staff: User, other_staff: User
) -> None:
    check_in = start(staff, [other_staff])

    run_deadlines_at(ALERT_TIME + timedelta(minutes=37))

    missed = check_in.entries.get(kind=CheckInEntry.Kind.MISSED)
    assert missed.late_minutes == 37
    assert told(MISSED) == {"sam"}


def test_an_unacknowledged_alert_escalates_to_every_coordinator_and_administrator(
    staff: User, other_staff: User, coordinator: User, administrator: User
) -> None:
    check_in = start(staff, [other_staff])
    run_deadlines_at(ALERT_TIME)

    assert run_deadlines_at(ALERT_TIME + timedelta(minutes=10)) == 1

    check_in.refresh_from_db()
    assert check_in.escalated_at == ALERT_TIME + timedelta(minutes=10)
    assert told(ESCALATED) == {"rosa", "amina"}
    assert check_in.entries.filter(kind=CheckInEntry.Kind.ESCALATED).count() == 1


def test_an_acknowledged_alert_does_not_escalate(
    staff: User, other_staff: User, coordinator: User
) -> None:
    check_in = start(staff, [other_staff])
    run_deadlines_at(ALERT_TIME)
    with time_machine.travel(ALERT_TIME + timedelta(minutes=4), tick=False):
        check_in_acknowledge(check_in=check_in, by=other_staff)

    assert run_deadlines_at(ALERT_TIME + timedelta(minutes=10)) == 1

    check_in.refresh_from_db()
    assert (check_in.acknowledged_by, check_in.escalated_at) == (other_staff, None)
    assert told(ESCALATED) == set()
    assert told(MISSED) == {"sam"}
