"""Recurring work: tasks that run on a schedule, such as daily and weekly digests.

An app registers each of its recurring tasks once, in its AppConfig.ready():

    from safespaces.worker.recurring import DailyAt, recurring_register

    recurring_register(digest_send_daily, schedule=DailyAt(time(7, 0)))

The worker keeps exactly one run of every registered task in django-tasks-db's queue, with
`run_after` set to its next time: at start, and again with every heartbeat, it enqueues the run
of any task that has none (a new registration, a fresh database, or a run whose worker died).
Each run is `recurring_run`, which calls the app's task and then enqueues the next run, even when
the app's task fails. A task that was due while no worker ran runs once when one comes back, not
once per missed time. A changed schedule applies from the run after the one already queued.

"Exactly one" rests on the database: each registered task has a `RecurringTask` row with a unique
name, and whoever enqueues a run first locks that row (SELECT ... FOR UPDATE on Postgres; on
SQLite every transaction takes the database's write lock at its start), so two workers starting
together enqueue one run between them. Which worker then runs it is django-tasks-db's claim, one
worker per queued row (docs/operations.md, "Background worker").
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from safespaces.worker.heartbeat import worker_is_dead
from safespaces.worker.models import RecurringTask

logger = logging.getLogger(__name__)


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime:
        """The first time strictly after `moment` at which the task should run."""
        ...


@dataclass(frozen=True)
class Every:
    """Every `interval`, counted from the end of the previous run."""

    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


@dataclass(frozen=True)
class DailyAt:
    """Every day at `at` on the organization's clock (TIME_ZONE), summer time included."""

    at: time

    def next_after(self, moment: datetime) -> datetime:
        return _next_local(moment, self.at, weekday=None)


@dataclass(frozen=True)
class WeeklyAt:
    """Every week on `weekday` (0 is Monday) at `at` on the organization's clock."""

    weekday: int
    at: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")

    def next_after(self, moment: datetime) -> datetime:
        return _next_local(moment, self.at, weekday=self.weekday)


def _next_local(moment: datetime, at: time, *, weekday: int | None) -> datetime:
    # Dates are walked on the local calendar so 07:00 stays 07:00 across a change of the clocks.
    day = timezone.localtime(moment).date()
    for _ in range(8):
        candidate = timezone.make_aware(datetime.combine(day, at))
        if candidate > moment and (weekday is None or day.weekday() == weekday):
            return candidate
        day += timedelta(days=1)
    raise AssertionError("a week always holds the next time")  # pragma: no cover


@dataclass(frozen=True)
class Recurring:
    task: Task[[], Any]
    schedule: Schedule

    @property
    def name(self) -> str:
        return self.task.module_path


_registry: dict[str, Recurring] = {}


def recurring_register(task: Task[[], Any], *, schedule: Schedule) -> None:
    """Run `task` (a task that takes no arguments) on `schedule`, from the next worker start on."""
    entry = Recurring(task=task, schedule=schedule)
    known = _registry.get(entry.name)
    if known is not None and known != entry:
        raise ImproperlyConfigured(f"{entry.name} is registered twice with different schedules.")
    _registry[entry.name] = entry


def recurring_registered() -> dict[str, Recurring]:
    return dict(_registry)


def recurring_ensure_all(*, now: datetime | None = None) -> list[str]:
    """Enqueue a run of every registered task that has none waiting; return their names."""
    now = now or timezone.now()
    return [name for name, entry in sorted(_registry.items()) if _ensure(entry, now=now)]


def recurring_schedule_next(*, name: str, finished: str, now: datetime | None = None) -> bool:
    """After the run `finished` (a task result id), enqueue the next run of `name`.

    Does nothing when the queued run is no longer `finished` (another worker took over a run it
    believed lost) or when `name` is no longer registered.
    """
    entry = _registry.get(name)
    if entry is None:
        logger.warning("Recurring task %s is no longer registered: not scheduling it again.", name)
        return False
    with transaction.atomic():
        row = _locked_row(name)
        if row.pending_id is not None and str(row.pending_id) != str(finished):
            return False
        _enqueue(row, entry, now=now or timezone.now())
    return True


def _ensure(entry: Recurring, *, now: datetime) -> bool:
    with transaction.atomic():
        row = _locked_row(entry.name)
        if row.pending is not None and _still_waiting(row.pending, now=now):
            return False
        _enqueue(row, entry, now=now)
    return True


def _locked_row(name: str) -> RecurringTask:
    # Created first, outside the lock: on Postgres a concurrent insert of the same name waits on
    # the unique index and get_or_create then reads the winner's row.
    RecurringTask.objects.get_or_create(name=name)
    # No join with the queued run: on Postgres a statement that waited for the lock sees the
    # row as the other worker left it, but a run that worker queued only from a new statement
    # (reading `row.pending` afterwards is one).
    return RecurringTask.objects.select_for_update().get(name=name)


def _still_waiting(result: DBTaskResult, *, now: datetime) -> bool:
    if result.status == TaskResultStatus.READY:
        return True
    if result.status == TaskResultStatus.RUNNING:
        claimed_by = result.worker_ids[-1] if result.worker_ids else ""
        return not worker_is_dead(claimed_by, now=now)
    return False


def _enqueue(row: RecurringTask, entry: Recurring, *, now: datetime) -> None:
    # Imported here: the task's module imports this one.
    from safespaces.worker.tasks import recurring_run

    run_at = entry.schedule.next_after(now)
    result = recurring_run.using(run_after=run_at).enqueue(name=entry.name)
    row.pending_id = result.id
    row.next_run_at = run_at
    row.save(update_fields=["pending", "next_run_at"])
