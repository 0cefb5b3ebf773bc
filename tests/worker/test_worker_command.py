"""`manage.py worker`, the real command in its own process, on the test database: a task due
since a minute ago runs once, and the worker's heartbeat is there for the health check."""

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from safespaces.worker.models import Heartbeat
from tests.worker import tasks

PROJECT = Path(__file__).resolve().parents[2]
WORKER_ID = "integration-test-worker"

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
]


@contextmanager
def shared_with_another_process(folder: Path) -> Iterator[str]:
    """A DATABASE_URL at which another process sees what this test committed; once the block
    ends, this test sees what that process wrote.

    Postgres: the test database itself. SQLite: the test database lives in this process's memory,
    so it is copied to a file for the other process and copied back (SQLite's backup API: the
    migrated tables without migrating again, in a blink).
    """
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        port = f":{db['PORT']}" if db["PORT"] else ""
        yield f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}{port}/{db['NAME']}"
        return
    path = folder / "worker.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    copy.close()
    yield f"sqlite:///{path}"
    with sqlite3.connect(path) as copy:
        copy.backup(connection.connection)
    copy.close()


def worker(database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the worker until the queue holds nothing due, with no pause between polls."""
    command = [
        sys.executable,
        "manage.py",
        "worker",
        "--batch",
        "--interval=0",
        "--no-startup-delay",
        f"--worker-id={WORKER_ID}",
    ]
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_task_due_a_minute_ago_runs_once_and_the_worker_beats(tmp_path: Path) -> None:
    trace = tmp_path / "runs.txt"
    queued = tasks.append_line.using(run_after=timezone.now() - timedelta(minutes=1)).enqueue(
        str(trace), "ran"
    )
    started = timezone.now()

    with shared_with_another_process(tmp_path) as database_url:
        first = worker(database_url)
        second = worker(database_url)

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
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "manage.py", "worker", "--interval=0.1", "--no-startup-delay"]
    with shared_with_another_process(tmp_path) as database_url:
        env["DATABASE_URL"] = database_url
        process = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
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
