"""Copying the database into a backup and back, on Postgres and on SQLite.

Both copies are consistent while the app runs: Postgres dumps one snapshot (MVCC: writers go
on), SQLite copies the database with its online backup API in one step under a read lock (in WAL
mode writers go on). The row counts of the manifest are taken from the same snapshot, or from the
copy itself, so they describe exactly what the archive holds.
"""

import os
import sqlite3
import subprocess  # noqa: S404 - pg_dump and pg_restore, with fixed arguments, no shell
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from django.db import DatabaseError, connection
from django.db.backends.postgresql.client import DatabaseClient


class BackupError(Exception):
    """A backup or a restore cannot go on; the message says why and what to do."""


POSTGRES_MEMBER = "database/postgres.dump"
SQLITE_MEMBER = "database/db.sqlite3"
VENDORS = {"postgresql": POSTGRES_MEMBER, "sqlite": SQLITE_MEMBER}


@dataclass(frozen=True)
class Dump:
    path: Path
    member: str
    vendor: str
    # What wrote it and from which server: a restore needs pg_restore at least as new.
    made_with: str
    tables: dict[str, int]


class Cursor(Protocol):
    def execute(self, sql: str, /) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchone(self) -> Any: ...


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(cursor: Cursor, vendor: str) -> dict[str, int]:
    """The number of rows of every table of the app's schema (SQLite's own tables left out)."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
    else:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY 1"
        )
    counts = {}
    for (table,) in cursor.fetchall():
        # The table names come from the database's catalogue, quoted.
        cursor.execute(f"SELECT COUNT(*) FROM {_quoted(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def database_tables() -> list[str]:
    """The tables of the database the app is configured for: none when it is empty."""
    try:
        return connection.introspection.table_names()
    except DatabaseError as error:
        raise BackupError(
            f"Cannot connect to the database: {error}. Create it first (empty), and check "
            "DATABASE_URL."
        ) from error


def database_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return table_counts(cursor, connection.vendor)


def database_dump(*, into: Path) -> Dump:
    """Copy the database the app is configured for into the folder `into`."""
    if connection.vendor == "postgresql":
        return _postgres_dump(into / "postgres.dump")
    if connection.vendor == "sqlite":
        return _sqlite_dump(into / "db.sqlite3")
    raise BackupError(
        f"Backups are made of Postgres and SQLite databases, not {connection.vendor}."
    )


def database_restore(dump: Path, *, vendor: str) -> None:
    """Load a dump into the database the app is configured for, which must be empty."""
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup is of a {vendor} database and the app is configured for "
            f"{connection.vendor}: restore it into a {vendor} database (DATABASE_URL)."
        )
    if vendor == "postgresql":
        _postgres_restore(dump)
    else:
        _sqlite_restore(dump)


# --- Postgres ----------------------------------------------------------------------------------


def _postgres_environment() -> dict[str, str]:
    """Where and as whom the client tools connect: the app's own settings, the password in the
    environment (never on a command line that `ps` shows)."""
    db = connection.settings_dict
    _args, secrets = DatabaseClient.settings_to_cmd_args_env(db, [])
    where = {
        "PGHOST": db.get("HOST") or "",
        "PGPORT": str(db.get("PORT") or ""),
        "PGUSER": db.get("USER") or "",
        "PGDATABASE": db.get("NAME") or "",
    }
    return {**os.environ, **{k: v for k, v in where.items() if v}, **(secrets or {})}


def _run(command: list[str]) -> str:
    tool = command[0]
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command,
            env=_postgres_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as error:
        raise BackupError(
            f"{tool} is not installed. Install the Postgres client tools of the server's major "
            "version or newer (Debian: apt-get install postgresql-client)."
        ) from error
    if done.returncode != 0:
        raise BackupError(f"{tool} failed:\n{done.stderr.strip()}")
    return done.stdout


def _postgres_dump(path: Path) -> Dump:
    tool = _run(["pg_dump", "--version"]).strip()
    # A session of its own, whatever transaction the caller is in: it holds the snapshot that
    # pg_dump imports, and counts the rows in that same snapshot.
    session = connection.copy()
    try:
        with session.cursor() as cursor:
            cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server = cursor.fetchone()
            # Uncompressed: the archive compresses everything once.
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--compress=0",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--file={path}",
                ]
            )
            tables = table_counts(cursor, "postgresql")
            cursor.execute("ROLLBACK")
    finally:
        session.close()
    return Dump(path, POSTGRES_MEMBER, "postgresql", f"{tool}; server {server}", tables)


def _postgres_restore(path: Path) -> None:
    # One transaction: a restore that fails leaves the database as empty as it was. Owners and
    # grants are those of the restoring role; grant_app_role gives the app role its rights.
    _run(
        [
            "pg_restore",
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(path),
        ]
    )


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_dump(path: Path) -> Dump:
    # A connection of its own: the copy holds what is committed, not a caller's open transaction.
    session = connection.copy()
    try:
        session.ensure_connection()
        with closing(sqlite3.connect(path)) as copy:
            session.connection.backup(copy)
            # One self-contained file, without a -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            tables = table_counts(copy.cursor(), "sqlite")
    finally:
        session.close()
    return Dump(path, SQLITE_MEMBER, "sqlite", f"SQLite {sqlite3.sqlite_version}", tables)


def _sqlite_restore(path: Path) -> None:
    connection.ensure_connection()
    with closing(sqlite3.connect(path)) as source:
        source.backup(connection.connection)
