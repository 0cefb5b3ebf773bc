"""Another process on the test database: the real `manage.py worker`, started by a test.

Used by the tests of the worker command and by the check-in drill; each test that uses it runs on
real transactions (`django_db(transaction=True)` and the `committed_for_real` fixture), since the
other process sees only what is committed.
"""

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.db import connection

PROJECT = Path(__file__).resolve().parents[1]


@contextmanager
def shared_with_another_process(folder: Path) -> Iterator[str]:
    """A DATABASE_URL at which another process sees what this test committed; once the block
    ends, this test sees what that process wrote.

    Postgres: the test database itself. SQLite: the test database lives in this process's memory,
    so it is copied to a file for the other process and copied back (SQLite's backup API: the
    migrated tables without migrating again, in a blink). Give each block a folder of its own.
    """
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
        port = f":{db['PORT']}" if db["PORT"] else ""
        yield f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}{port}/{db['NAME']}"
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "worker.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    copy.close()
    yield f"sqlite:///{path}"
    with sqlite3.connect(path) as copy:
        copy.backup(connection.connection)
    copy.close()


def worker_command(*, worker_id: str, batch: bool = True, interval: float = 0) -> list[str]:
    """`manage.py worker`, by default with no pause between polls; in batch mode it exits once
    nothing is due (tasks queued for later, such as retries after a back-off, do not keep it
    running)."""
    command = [
        sys.executable,
        "manage.py",
        "worker",
        f"--interval={interval}",
        "--no-startup-delay",
        f"--worker-id={worker_id}",
    ]
    return [*command, "--batch"] if batch else command


def worker_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(extra or {})}


def worker(database_url: str, *, worker_id: str) -> subprocess.CompletedProcess[str]:
    """Run the worker until the queue holds nothing due."""
    return subprocess.run(
        worker_command(worker_id=worker_id),
        cwd=PROJECT,
        env=worker_env(database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def worker_start(
    database_url: str,
    *,
    worker_id: str,
    output: IO[bytes],
    env: Mapping[str, str] | None = None,
    batch: bool = True,
) -> subprocess.Popen[bytes]:
    """Start the worker and return at once; what it prints goes to `output` (a file, never a
    pipe nobody reads, which would stop it once full)."""
    return subprocess.Popen(
        worker_command(worker_id=worker_id, batch=batch),
        cwd=PROJECT,
        env=worker_env(database_url, env),
        stdout=output,
        stderr=subprocess.STDOUT,
    )
