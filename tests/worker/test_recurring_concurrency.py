"""Workers that start at the same moment queue one run of each recurring task between them
(Postgres: on SQLite every writing transaction holds the database's one write lock)."""

import threading
from datetime import time

from django.db import connection
from django_tasks_db.models import DBTaskResult

from safespaces.worker.recurring import DailyAt, recurring_ensure_all, recurring_register
from tests.postgres import committing_on_postgres
from tests.worker import tasks

WORKERS = 4
ROUNDS = 10

pytestmark = committing_on_postgres(
    "SQLite takes its single write lock at BEGIN IMMEDIATE: one writer at a time"
)


def test_workers_starting_together_queue_one_run() -> None:
    recurring_register(tasks.count_a_run, schedule=DailyAt(time(7, 0)))
    start = threading.Barrier(WORKERS)
    queued: list[list[str]] = []

    def start_a_worker() -> None:
        try:
            for _ in range(ROUNDS):
                start.wait()
                queued.append(recurring_ensure_all())
                # The run is lost each round (as with a dead worker), so each round races anew.
                start.wait()
                if threading.current_thread() is threads[0]:
                    DBTaskResult.objects.update(status="FAILED")
        finally:
            connection.close()

    threads = [threading.Thread(target=start_a_worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(queued) == WORKERS * ROUNDS
    assert sum(len(names) for names in queued) == ROUNDS
    assert DBTaskResult.objects.count() == ROUNDS
