"""The risk register's digests, run by the worker at 07:00 on the organization's clock: measures
overdue (daily, to their owners and the coordinators) and situations due for reassessment (weekly
on Mondays, to the coordinators). Each person hears once a day at most, and only of what they may
see; by email too when they gave an address."""

from collections.abc import Iterator
from datetime import date, datetime, time

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from riskassessment.alerts import (
    MEASURES_OVERDUE,
    SITUATIONS_DUE,
    measures_overdue_digest,
    situations_due_digest,
)
from riskassessment.models import Measure, RiskSituation
from riskassessment.selectors import situations_due
from safespaces.accounts.models import User
from safespaces.notifications.models import Address, Delivery, Notification
from safespaces.worker.recurring import (
    DailyAt,
    WeeklyAt,
    recurring_ensure_all,
    recurring_registered,
)
from tests.conftest import local
from tests.factories import (
    IncidentFactory,
    MeasureFactory,
    PlaceFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    UserFactory,
)
from tests.notifications.conftest import SECRET
from tests.worker.conftest import run_due_tasks

pytestmark = pytest.mark.django_db

MONDAY = local(2026, 3, 16, 7, 0)
TUESDAY = local(2026, 3, 17, 7, 0)
LATER_ON_TUESDAY = local(2026, 3, 17, 9, 30)  # a worker restarted: the task runs again
YESTERDAY = date(2026, 3, 16)  # for a measure, on Tuesday
DAILY = "riskassessment.alerts.measures_overdue_digest"
WEEKLY = "riskassessment.alerts.situations_due_digest"


def told(kind: str) -> list[str]:
    """Who was told, once per notification."""
    rows = Notification.objects.filter(kind=kind).order_by("recipient__username")
    return list(rows.values_list("recipient__username", flat=True))


def run(digest: Task[[], int], at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return digest.call()


@pytest.fixture
def situation(coordinator: User, other_staff: User) -> RiskSituation:
    """A current activity Rosa runs; Sam takes part in it and sees its safety plan."""
    return RiskSituationFactory(created_by=coordinator, participants=[other_staff])


def measure(situation: RiskSituation, owner: User | None, **fields: object) -> Measure:
    """A planned measure, overdue on Tuesday unless told otherwise."""
    fields = {"due_on": YESTERDAY, **fields}
    return MeasureFactory(
        situation=situation, owner=owner, created_by=situation.created_by, **fields
    )


# --- Measures overdue, daily --------------------------------------------------------------------


def test_the_owner_and_the_coordinators_hear_of_overdue_measures_once_each(
    situation: RiskSituation,
    coordinator: User,
    administrator: User,
    staff: User,
    other_staff: User,
    inactive: User,
) -> None:
    measure(situation, staff)
    measure(situation, staff, status="in_progress")  # two of hers: still one digest
    measure(situation, inactive)  # a deactivated account hears nothing
    measure(situation, UserFactory(username="ex", role=None))  # nor one without a role

    count = run(measures_overdue_digest, TUESDAY)

    assert count == 3
    # Sam takes part in the activity but owns none of its measures: nothing for him.
    assert told(MEASURES_OVERDUE) == [administrator.username, staff.username, coordinator.username]
    notification = Notification.objects.get(kind=MEASURES_OVERDUE, recipient=staff)
    assert (notification.link, notification.created_at) == ("/", TUESDAY)


def test_a_staff_member_hears_only_of_their_own_overdue_measures(
    situation: RiskSituation, coordinator: User, staff: User, other_staff: User
) -> None:
    measure(situation, staff, due_on=date(2026, 3, 20))  # not due yet
    measure(situation, other_staff)

    run(measures_overdue_digest, TUESDAY)

    assert told(MEASURES_OVERDUE) == [coordinator.username, other_staff.username]


def test_nothing_overdue_tells_nobody(
    situation: RiskSituation, coordinator: User, administrator: User, staff: User
) -> None:
    measure(situation, staff, due_on=TUESDAY.date())  # due today: not late yet
    measure(situation, staff, status="done")
    measure(situation, staff, status="dropped")
    closed = RiskSituationFactory(created_by=coordinator, status="closed")
    measure(closed, staff)

    count = run(measures_overdue_digest, TUESDAY)

    assert count == 0
    assert Measure.objects.filter(owner=staff).count() == 4
    assert told(MEASURES_OVERDUE) == []


def test_a_second_run_the_same_day_tells_nobody_again_and_the_next_day_does(
    situation: RiskSituation, coordinator: User, staff: User
) -> None:
    measure(situation, staff)
    first = run(measures_overdue_digest, TUESDAY)

    again = run(measures_overdue_digest, LATER_ON_TUESDAY)
    assert (first, again) == (2, 0)
    assert told(MEASURES_OVERDUE) == [staff.username, coordinator.username]

    run(measures_overdue_digest, local(2026, 3, 18, 7, 0))
    assert told(MEASURES_OVERDUE) == [staff.username, staff.username] + [coordinator.username] * 2


# --- Situations due for reassessment, weekly ----------------------------------------------------


def test_the_coordinators_hear_of_situations_due_for_reassessment(
    situation: RiskSituation, coordinator: User, administrator: User, other_staff: User
) -> None:
    # Never assessed: due.
    count = run(situations_due_digest, MONDAY)

    assert count == 2
    # Sam takes part in the situation, but reassessing is the coordinators' work.
    assert told(SITUATIONS_DUE) == [administrator.username, coordinator.username]
    notification = Notification.objects.get(kind=SITUATIONS_DUE, recipient=coordinator)
    assert (notification.link, notification.created_at) == ("/risks/?due=yes", MONDAY)


def test_nothing_due_tells_nobody(
    situation: RiskSituation, coordinator: User, administrator: User
) -> None:
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        RiskAssessmentFactory(situation=situation, decision="go", valid_until=date(2026, 9, 1))
    RiskSituationFactory(created_by=coordinator, status="closed")  # closed: never due

    count = run(situations_due_digest, MONDAY)

    assert count == 0
    assert RiskSituation.objects.count() == 2
    assert told(SITUATIONS_DUE) == []


def test_a_situation_due_only_through_an_incident_a_coordinator_may_not_see_is_not_told_to_them(
    coordinator: User, administrator: User, staff: User
) -> None:
    place = PlaceFactory()
    situation = RiskSituationFactory(created_by=coordinator, place=place)
    with time_machine.travel(local(2026, 3, 2, 9, 0), tick=False):
        RiskAssessmentFactory(situation=situation, decision="go", valid_until=date(2026, 9, 1))
    with time_machine.travel(local(2026, 3, 10, 9, 0), tick=False):
        IncidentFactory(reporter=staff, place=place, visibility="named")

    run(situations_due_digest, MONDAY)

    assert told(SITUATIONS_DUE) == [administrator.username]
    with time_machine.travel(MONDAY, tick=False):
        assert situations_due(coordinator) == []


def test_the_weekly_digest_run_twice_on_a_monday_tells_each_coordinator_once(
    situation: RiskSituation, coordinator: User
) -> None:
    first = run(situations_due_digest, MONDAY)
    again = run(situations_due_digest, local(2026, 3, 16, 11, 0))

    assert (first, again) == (1, 0)
    assert told(SITUATIONS_DUE) == [coordinator.username]


# --- On the worker's schedule, by email ---------------------------------------------------------


def test_the_digests_run_at_seven_daily_and_on_mondays() -> None:
    registered = recurring_registered()

    assert registered[DAILY].schedule == DailyAt(time(7, 0))
    assert registered[WEEKLY].schedule == WeeklyAt(0, time(7, 0))


@pytest.fixture
def email_and_relay() -> Iterator[None]:
    with override_settings(
        EMAIL_URL="smtp://mail.example.org:587",
        WEBHOOK_URL="https://relay.example.org/hook",
        WEBHOOK_SECRET=SECRET,
        SITE_URL="https://safespaces.example.org",
    ):
        yield


@pytest.mark.usefixtures("email_and_relay")
def test_the_worker_sends_the_daily_digest_by_email_and_not_by_the_relay(
    situation: RiskSituation, coordinator: User, staff: User
) -> None:
    Address.objects.create(user=staff, email="lin@example.org", relay="+15550100")
    measure(situation, staff)
    with time_machine.travel(local(2026, 3, 16, 21, 0), tick=False):
        recurring_ensure_all()

    with time_machine.travel(TUESDAY, tick=False):
        run_due_tasks()
        # A worker restarted later that morning runs the digest again: nothing is sent twice.
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, args_kwargs__kwargs__name=DAILY
        ).update(run_after=TUESDAY)
        run_due_tasks()

    runs = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, args_kwargs__kwargs__name=DAILY
    )
    assert runs.count() == 2
    [sent] = mail.outbox
    assert sent.to == ["lin@example.org"]
    assert sent.subject == "SafeSpaces: measures are overdue"
    assert (
        sent.body
        == "SafeSpaces: measures are overdue. Open the app: https://safespaces.example.org/"
    )
    # Rosa gave no address: her digest waits in the app.
    assert told(MEASURES_OVERDUE) == [staff.username, coordinator.username]
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]
