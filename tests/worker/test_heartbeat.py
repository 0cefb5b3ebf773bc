"""Heartbeats: a row per worker, old ones forgotten, and the tasks of a worker that stopped
beating put back in the queue."""

from datetime import timedelta

import pytest
import time_machine
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from safespaces.worker.heartbeat import heartbeat_beat, tasks_of_dead_workers_requeue
from safespaces.worker.models import Heartbeat
from tests.conftest import local
from tests.worker import tasks

pytestmark = pytest.mark.django_db

START = local(2026, 12, 3, 21, 0)


def claimed_by(worker_id: str) -> DBTaskResult:
    result = tasks.count_a_run.enqueue()
    row = DBTaskResult.objects.get(id=result.id)
    row.claim(worker_id)
    return row


def test_a_worker_keeps_one_row_and_workers_gone_a_day_are_forgotten() -> None:
    heartbeat_beat(worker_id="old", started_at=START, now=START)
    heartbeat_beat(worker_id="w1", started_at=START, now=START + timedelta(hours=1))

    heartbeat_beat(worker_id="w1", started_at=START, now=START + timedelta(days=1, minutes=1))

    beat = Heartbeat.objects.get()
    assert beat.worker_id == "w1"
    assert (beat.started_at, beat.beat_at) == (START, START + timedelta(days=1, minutes=1))


def test_the_tasks_of_a_worker_that_stopped_beating_go_back_in_the_queue() -> None:
    heartbeat_beat(worker_id="dead", started_at=START, now=START)
    heartbeat_beat(worker_id="alive", started_at=START, now=START + timedelta(minutes=2))
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        lost = claimed_by("dead")
        busy = claimed_by("alive")
        unknown = claimed_by("a plain db_worker")

    with time_machine.travel(START + timedelta(minutes=3), tick=False):
        requeued = tasks_of_dead_workers_requeue()

    assert requeued == 1
    statuses = dict(DBTaskResult.objects.values_list("id", "status"))
    assert statuses == {
        lost.id: TaskResultStatus.READY,
        busy.id: TaskResultStatus.RUNNING,
        unknown.id: TaskResultStatus.RUNNING,
    }
    assert DBTaskResult.objects.get(id=lost.id).started_at is None


def test_nothing_goes_back_while_its_worker_beats() -> None:
    heartbeat_beat(worker_id="w1", started_at=START, now=START)
    with time_machine.travel(START, tick=False):
        claimed_by("w1")

    with time_machine.travel(START + timedelta(minutes=1, seconds=59), tick=False):
        assert tasks_of_dead_workers_requeue() == 0

    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
