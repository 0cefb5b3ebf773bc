"""The platform's own recurring task: successful task results go after a day, failures after two
weeks."""

from datetime import time, timedelta

import pytest
import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from safespaces.worker.recurring import DailyAt, Recurring
from safespaces.worker.tasks import task_results_prune
from tests.conftest import local
from tests.worker import tasks

pytestmark = pytest.mark.django_db

NOW = local(2026, 12, 3, 21, 0)


def finished(*, at: object, status: str = TaskResultStatus.SUCCESSFUL) -> DBTaskResult:
    row = DBTaskResult.objects.get(id=tasks.count_a_run.enqueue().id)
    DBTaskResult.objects.filter(id=row.id).update(status=status, finished_at=at)
    return row


def test_successes_go_after_a_day_and_failures_after_two_weeks() -> None:
    old_success = finished(at=NOW - timedelta(days=1, minutes=1))
    recent_success = finished(at=NOW - timedelta(hours=23))
    old_failure = finished(at=NOW - timedelta(days=14, minutes=1), status=TaskResultStatus.FAILED)
    recent_failure = finished(at=NOW - timedelta(days=13, hours=23), status=TaskResultStatus.FAILED)
    waiting = DBTaskResult.objects.get(id=tasks.count_a_run.enqueue().id)

    with time_machine.travel(NOW, tick=False):
        deleted = task_results_prune.call()

    assert deleted == 2
    kept = {recent_success.id, recent_failure.id, waiting.id}
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == kept
    assert not DBTaskResult.objects.filter(id__in=[old_success.id, old_failure.id]).exists()


def test_the_app_registers_it_for_every_night(registry: dict[str, Recurring]) -> None:
    assert registry["safespaces.worker.tasks.task_results_prune"] == Recurring(
        task=task_results_prune, schedule=DailyAt(time(3, 0))
    )
