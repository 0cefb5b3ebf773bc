"""`manage.py worker`, the real command in its own process, on the test database: a task due
since a minute ago runs once, and the worker's heartbeat is there for the health check."""

import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from safespaces.worker.models import Heartbeat
from tests.processes import PROJECT, shared_with_another_process, worker, worker_command, worker_env
from tests.worker import tasks

WORKER_ID = "integration-test-worker"

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
]


def test_a_task_due_a_minute_ago_runs_once_and_the_worker_beats(tmp_path: Path) -> None:
    trace = tmp_path / "runs.txt"
    queued = tasks.append_line.using(run_after=timezone.now() - timedelta(minutes=1)).enqueue(
        str(trace), "ran"
    )
    started = timezone.now()

    with shared_with_another_process(tmp_path) as database_url:
        first = worker(database_url, worker_id=WORKER_ID)
        second = worker(database_url, worker_id=WORKER_ID)

    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    assert trace.read_text() == "ran\n"
    result = DBTaskResult.objects.get(id=queued.id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.worker_ids == [WORKER_ID]
    assert result.return_value == "ran"
    beat = Heartbeat.objects.get(worker_id=WORKER_ID)
    assert beat.beat_at >= started


def test_the_worker_stops_at_once_when_told_to(tmp_path: Path) -> None:
    """SIGTERM (systemd, make run's trap; Ctrl-C sends SIGINT, handled alike) while it waits for
    work: it exits cleanly, heartbeat thread and all, and nothing is left running."""
    command = worker_command(worker_id=WORKER_ID, batch=False, interval=0.1)
    with shared_with_another_process(tmp_path) as database_url:
        process = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=worker_env(database_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert process.stdout is not None
            started = ""
            while "Starting worker" not in started and process.poll() is None:
                started = process.stdout.readline()
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

    assert "Starting worker" in started
    assert returncode == 0
    assert Heartbeat.objects.count() == 1
