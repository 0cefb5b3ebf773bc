"""Recurring tasks: one run queued for the next time, the task run once when due, the next run
queued after it whatever happened, and a run lost with its worker queued again."""

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from safespaces.worker.heartbeat import heartbeat_beat
from safespaces.worker.models import RecurringTask
from safespaces.worker.recurring import (
    DailyAt,
    Every,
    WeeklyAt,
    recurring_ensure_all,
    recurring_register,
)
from tests.conftest import local
from tests.worker import tasks
from tests.worker.conftest import run_due_tasks

COUNT = "tests.worker.tasks.count_a_run"
FAIL = "tests.worker.tasks.fail"
RUNNER = "safespaces.worker.tasks.recurring_run"

pytestmark = pytest.mark.django_db


def queued() -> list[tuple[str, datetime]]:
    """The runs waiting in the queue: which recurring task, and when."""
    rows = DBTaskResult.objects.filter(status=TaskResultStatus.READY).order_by("run_after")
    return [(row.args_kwargs["kwargs"]["name"], row.run_after) for row in rows]


def test_a_registered_task_gets_one_run_queued_for_its_next_time() -> None:
    recurring_register(tasks.count_a_run, schedule=DailyAt(time(7, 0)))

    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        first = recurring_ensure_all()
        again = recurring_ensure_all()

    assert first == [COUNT]
    assert again == []
    assert queued() == [(COUNT, local(2026, 12, 4, 7, 0))]
    assert DBTaskResult.objects.get().task_path == RUNNER
    assert tasks.RUNS == []


def test_a_due_run_runs_the_task_once_and_queues_the_next() -> None:
    recurring_register(tasks.count_a_run, schedule=DailyAt(time(7, 0)))
    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        recurring_ensure_all()

    with time_machine.travel(local(2026, 12, 4, 7, 0, 5), tick=False):
        ran = run_due_tasks()
        ran_again = run_due_tasks()

    assert (ran, ran_again) == (1, 0)
    assert tasks.RUNS == ["ran"]
    assert queued() == [(COUNT, local(2026, 12, 5, 7, 0))]
    assert RecurringTask.objects.get(name=COUNT).next_run_at == local(2026, 12, 5, 7, 0)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1


def test_a_failing_run_is_recorded_and_the_next_one_still_queued() -> None:
    recurring_register(tasks.fail, schedule=Every(timedelta(minutes=10)))
    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        recurring_ensure_all()

    with time_machine.travel(local(2026, 12, 3, 21, 10), tick=False):
        run_due_tasks()

    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert tasks.RUNS == ["failed"]
    assert queued() == [(FAIL, local(2026, 12, 3, 21, 20))]


def test_runs_missed_while_no_worker_ran_run_once() -> None:
    recurring_register(tasks.count_a_run, schedule=DailyAt(time(7, 0)))
    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        recurring_ensure_all()

    # Three mornings go by with no worker; one comes back on the fourth afternoon.
    with time_machine.travel(local(2026, 12, 7, 15, 0), tick=False):
        recurring_ensure_all()
        run_due_tasks()

    assert tasks.RUNS == ["ran"]
    assert queued() == [(COUNT, local(2026, 12, 8, 7, 0))]


def test_a_run_whose_worker_died_is_queued_again() -> None:
    recurring_register(tasks.count_a_run, schedule=Every(timedelta(hours=1)))
    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        recurring_ensure_all()
    with time_machine.travel(local(2026, 12, 3, 22, 0), tick=False):
        heartbeat_beat(worker_id="lost", started_at=local(2026, 12, 3, 20, 0))
        DBTaskResult.objects.get().claim("lost")

    # While its worker beats, the run is under way; once it has not beaten for 2 minutes, the
    # run is lost and another takes its place.
    with time_machine.travel(local(2026, 12, 3, 22, 1), tick=False):
        still_running = recurring_ensure_all()
    with time_machine.travel(local(2026, 12, 3, 22, 3), tick=False):
        replaced = recurring_ensure_all()

    assert still_running == []
    assert replaced == [COUNT]
    assert queued() == [(COUNT, local(2026, 12, 3, 23, 3))]


def test_a_run_claimed_by_a_worker_without_heartbeat_is_left_alone() -> None:
    recurring_register(tasks.count_a_run, schedule=Every(timedelta(hours=1)))
    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        recurring_ensure_all()
        DBTaskResult.objects.get().claim("a plain db_worker")

    with time_machine.travel(local(2026, 12, 4, 21, 0), tick=False):
        assert recurring_ensure_all() == []

    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


def test_a_finished_run_that_queued_nothing_is_followed_by_a_new_one() -> None:
    # As after a crash between the run and the queueing of the next.
    recurring_register(tasks.count_a_run, schedule=Every(timedelta(hours=1)))
    with time_machine.travel(local(2026, 12, 3, 21, 0), tick=False):
        recurring_ensure_all()
        DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL)

        assert recurring_ensure_all() == [COUNT]

    assert queued() == [(COUNT, local(2026, 12, 3, 22, 0))]


def test_a_task_registered_twice_with_another_schedule_is_refused() -> None:
    recurring_register(tasks.count_a_run, schedule=DailyAt(time(7, 0)))
    recurring_register(tasks.count_a_run, schedule=DailyAt(time(7, 0)))

    with pytest.raises(ImproperlyConfigured, match="registered twice"):
        recurring_register(tasks.count_a_run, schedule=DailyAt(time(8, 0)))


@override_settings(TIME_ZONE="Europe/Berlin")
def test_daily_times_follow_the_organizations_clock_across_summer_time() -> None:
    schedule = DailyAt(time(7, 0))
    # Saturday 28 March 2026, 08:00 in Berlin (UTC+1); the clocks go forward that night.
    saturday = datetime(2026, 3, 28, 7, 0, tzinfo=UTC)

    assert schedule.next_after(saturday) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)


def test_weekly_runs_fall_on_their_weekday() -> None:
    # Thursday 3 December 2026: the next Monday is the 7th.
    schedule = WeeklyAt(weekday=0, at=time(9, 0))

    assert schedule.next_after(local(2026, 12, 3, 21, 0)) == local(2026, 12, 7, 9, 0)
    assert schedule.next_after(local(2026, 12, 7, 9, 0)) == local(2026, 12, 14, 9, 0)
    assert schedule.next_after(local(2026, 12, 7, 8, 59)) == local(2026, 12, 7, 9, 0)
