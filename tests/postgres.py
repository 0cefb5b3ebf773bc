"""A Postgres server of a test's own: a fresh cluster in a temporary folder on a free port of
127.0.0.1, which the test may stop and start at will. Never the shared server on port 5432; on
that one, a test makes a database (and roles) of its own, by random names, dropped at the end.

Postgres refuses to run as root; run as root (as in CI), the cluster belongs to the `postgres`
system user and its commands run as that user.
"""

import glob
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.servers import free_port

SERVER_BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
# The shared server every test uses (trust authentication on 127.0.0.1).
SHARED = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
SHARED_URL = "postgres://postgres@127.0.0.1:5432"


def committing_on_postgres(why_not_on_sqlite: str) -> list[pytest.MarkDecorator]:
    """The marks of a module of tests that commit for real on the Postgres of `make test`
    (threads with connections of their own, work after commit): skipped on SQLite, for the
    reason given."""
    return [
        pytest.mark.skipif(connection.vendor == "sqlite", reason=why_not_on_sqlite),
        pytest.mark.django_db(transaction=True, serialized_rollback=True),
        pytest.mark.usefixtures("committed_for_real"),
    ]


def postgres_binaries() -> Path | None:
    """The newest installed server's commands (initdb, pg_ctl), or None when there is none."""
    found = [Path(folder) for folder in SERVER_BINARIES if Path(folder, "initdb").exists()]
    return found[-1] if found else None


class OwnPostgres:
    def __init__(self, binaries: Path, folder: Path) -> None:
        self.binaries = binaries
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, command: str, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, str(self.binaries / command), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def create(self) -> None:
        # No fsync: the cluster lives for one test. Trust: only this machine's 127.0.0.1.
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -F"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """As a crash would: no goodbye to the clients, whatever they were doing."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextmanager
def own_postgres(binaries: Path) -> Iterator[OwnPostgres]:
    """A running server of the test's own; stopped and removed at the end, whatever happened."""
    folder = Path(tempfile.mkdtemp(prefix="safespaces-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    server = OwnPostgres(binaries, folder)
    try:
        server.create()
        server.start()
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)


def _on_shared_server(*statements: str) -> None:
    # Not `with connect()`, which would wrap CREATE or DROP DATABASE in a transaction they refuse.
    admin = psycopg2.connect(dbname="postgres", **SHARED)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        admin.close()


def drop_from_shared_server(database: str, roles: Sequence[str] = ()) -> None:
    """FORCE: the connections app servers kept may not have closed yet."""
    _on_shared_server(
        f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
        *(f'DROP ROLE IF EXISTS "{role}"' for role in roles),
    )


@contextmanager
def database_on_shared_server(prefix: str) -> Iterator[str]:
    """A new database `prefix`_<random> on the shared server; yields its URL, drops it after."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    _on_shared_server(f'CREATE DATABASE "{name}"')
    try:
        yield f"{SHARED_URL}/{name}"
    finally:
        drop_from_shared_server(name)
