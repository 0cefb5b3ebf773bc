from collections.abc import Iterator

import pytest
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from safespaces.worker import recurring
from tests.worker import tasks


@pytest.fixture(autouse=True)
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, recurring.Recurring]]:
    """Each test registers its own recurring tasks; the apps' own, given to the test, are put
    back afterwards."""
    registered_by_the_apps = recurring.recurring_registered()
    monkeypatch.setattr(recurring, "_registry", {})
    tasks.RUNS.clear()
    yield registered_by_the_apps
    tasks.RUNS.clear()


def run_due_tasks(*, worker_id: str = "test-worker") -> int:
    """Run what is due, in this process and transaction, the way the worker claims and runs it
    (its own loop also closes database connections, which a test's transaction cannot allow)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ran = 0
    while (due := DBTaskResult.objects.ready().select_for_update().first()) is not None:
        due.claim(worker_id)
        worker.run_task(due)
        ran += 1
    return ran
