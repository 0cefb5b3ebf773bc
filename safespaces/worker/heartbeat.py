"""Whether a worker is running: each worker process writes a heartbeat row every
`HEARTBEAT_EVERY`; the health check and the administrators' banner read the newest one."""

import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from safespaces.worker.models import Heartbeat

HEARTBEAT_EVERY = timedelta(seconds=30)
# Four missed beats: a worker busy on the database (SQLite waits up to 20 s for its lock) or
# restarting by its supervisor is not reported.
STALE_AFTER = timedelta(minutes=2)
# Rows of workers gone this long are removed: worker ids are new at every start.
FORGET_AFTER = timedelta(days=1)

# When this process started. With no heartbeat at all (a fresh install, a worker never started),
# the worker is reported missing once the app has been up for STALE_AFTER, so a web server
# started a moment before its worker does not cry wolf.
_process_started_at = timezone.now()


@dataclass(frozen=True)
class WorkerStatus:
    healthy: bool
    # The newest heartbeat of any worker; None when no worker ever ran on this database.
    last_seen: datetime | None


def heartbeat_beat(*, worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that the worker `worker_id` is alive, and forget workers gone for a day."""
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": started_at, "host": socket.gethostname()},
    )
    Heartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def worker_status(*, now: datetime | None = None) -> WorkerStatus:
    """One query: is any worker alive, and when was one last seen."""
    now = now or timezone.now()
    last_seen = Heartbeat.objects.aggregate(last=Max("beat_at"))["last"]
    if not settings.WORKER_HEALTH_CHECKS:
        return WorkerStatus(healthy=True, last_seen=last_seen)
    if last_seen is None:
        return WorkerStatus(healthy=now - _process_started_at < STALE_AFTER, last_seen=None)
    return WorkerStatus(healthy=now - last_seen < STALE_AFTER, last_seen=last_seen)


def worker_is_dead(worker_id: str, *, now: datetime | None = None) -> bool:
    """Whether `worker_id` stopped beating: what it claimed and did not finish is lost.

    A worker with no heartbeat row (one started with plain `db_worker`) is never taken for dead:
    nothing tells that it stopped.
    """
    now = now or timezone.now()
    return Heartbeat.objects.filter(worker_id=worker_id, beat_at__lt=now - STALE_AFTER).exists()


def tasks_of_dead_workers_requeue(*, now: datetime | None = None) -> int:
    """Put back in the queue what workers that stopped beating had claimed and not finished.

    django-tasks-db leaves such a task "running" for ever: an alert would never go. Put back, it
    runs again from the start, so tasks must be safe to repeat. Called before `heartbeat_beat`
    forgets workers gone for a day.
    """
    now = now or timezone.now()
    dead = set(
        Heartbeat.objects.filter(beat_at__lt=now - STALE_AFTER).values_list("worker_id", flat=True)
    )
    if not dead:
        return 0
    running = DBTaskResult.objects.running().only("id", "worker_ids")
    lost = [result.id for result in running if result.worker_ids and result.worker_ids[-1] in dead]
    # Still "running" in the same statement: a task that finished meanwhile stays finished.
    return DBTaskResult.objects.filter(id__in=lost, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None
    )
