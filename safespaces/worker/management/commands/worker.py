"""`manage.py worker`: django-tasks-db's `db_worker`, plus a heartbeat and recurring tasks.

A thin wrapper rather than a fork: the library's worker loop runs unchanged. Beside it a thread
writes this worker's heartbeat every 30 seconds and makes sure every recurring task has its next
run queued, so the web servers can tell when no worker is running and a lost run is replaced.
"""

import logging
import threading
from datetime import datetime
from typing import Any

from django.db import DatabaseError, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from safespaces.worker.heartbeat import (
    HEARTBEAT_EVERY,
    heartbeat_beat,
    tasks_of_dead_workers_requeue,
)
from safespaces.worker.recurring import recurring_ensure_all

logger = logging.getLogger(__name__)


class Command(DbWorkerCommand):
    help = (
        "Run the background worker: the tasks in the database queue, the recurring tasks, and a "
        "heartbeat for the health check. Same options as db_worker; never reloads."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # The reloader runs the worker in a child process, and a child whose parent is killed
        # keeps running unseen. A worker is restarted by whatever started it (make run, systemd).
        options["reload"] = False
        worker_id: str = options["worker_id"]
        started_at = timezone.now()
        look_after_the_queue(worker_id=worker_id, started_at=started_at)
        beater = Beater(worker_id=worker_id, started_at=started_at)
        beater.start()
        try:
            super().handle(*args, **options)
        finally:
            beater.stop()


def look_after_the_queue(*, worker_id: str, started_at: datetime) -> None:
    """What every worker does at start and at every beat, in this order: take back the tasks of
    workers that died (before their heartbeat is forgotten), beat, and queue any recurring run
    that is missing (after taking back, so a recurring run taken back is not queued twice)."""
    requeued = tasks_of_dead_workers_requeue()
    if requeued:
        logger.warning("Put back in the queue %d task(s) of workers that stopped.", requeued)
    heartbeat_beat(worker_id=worker_id, started_at=started_at)
    queued = recurring_ensure_all()
    if queued:
        logger.info("Queued the next run of: %s", ", ".join(queued))


class Beater(threading.Thread):
    """Beats while the worker process lives, even through a long task."""

    def __init__(self, *, worker_id: str, started_at: datetime) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.worker_id = worker_id
        self.started_at = started_at
        self._stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self._stopping.wait(HEARTBEAT_EVERY.total_seconds()):
                try:
                    look_after_the_queue(worker_id=self.worker_id, started_at=self.started_at)
                except DatabaseError as error:
                    # The class only: a database message may quote values. The next beat retries.
                    logger.warning("Heartbeat not written (%s)", type(error).__name__)
        finally:
            # Connections belong to the thread that opened them.
            connections.close_all()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
