"""A database that does not answer holds no web worker for long: connecting gives up after
DATABASE_CONNECT_TIMEOUT seconds everywhere, and a statement of a web request after
DATABASE_STATEMENT_TIMEOUT. Commands (migrate, the worker, backups) get no statement limit."""

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from safespaces.crypto.keys import new_key
from safespaces.database import web_statement_timeout_apply
from tests.crypto.test_keys import PROJECT_ROOT, SECRET_KEY
from tests.test_configuration import Reader

POSTGRES = "postgres://safespaces@db.example.org:5432/safespaces"


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> Reader:
    return Reader(monkeypatch)


def database_settings(entry: str, **variables: str) -> dict[str, Any]:
    """The default database's settings in a fresh interpreter, after importing
    `entry`: the WSGI module (as gunicorn and runserver do), or django alone (as commands do).
    Nothing connects to the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "safespaces.settings",
        "PYTHONPATH": str(PROJECT_ROOT),
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": f"k1:{new_key()}",
        "BLIND_INDEX_KEY": new_key(),
        "AUDIT_KEY": new_key(),
        "DATABASE_URL": POSTGRES,
    } | variables
    script = (
        f"import {entry}; import django; django.setup(); import json; "
        "from django.db import connections; "
        "print(json.dumps(connections.settings['default'], default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    database: dict[str, Any] = json.loads(result.stdout)
    return database


def database_options(entry: str, **variables: str) -> dict[str, object]:
    options: dict[str, object] = database_settings(entry, **variables)["OPTIONS"]
    return options


def test_web_requests_give_up_connecting_after_5_seconds_and_a_statement_after_20() -> None:
    database = database_settings("safespaces.wsgi")

    assert database["OPTIONS"]["connect_timeout"] == 5
    assert database["OPTIONS"]["options"] == "-c jit=off -c statement_timeout=20s"
    # A connection is kept for a minute, and checked before each request reuses it.
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_commands_give_up_connecting_too_but_their_statements_have_no_limit() -> None:
    options = database_options("django")

    assert options["connect_timeout"] == 5
    # Postgres compiles nothing just in time, for commands as for web requests.
    assert options["options"] == "-c jit=off"


def test_the_limits_and_the_connections_life_are_set_from_the_environment() -> None:
    database = database_settings(
        "safespaces.wsgi",
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_STATEMENT_TIMEOUT="1min",
        DATABASE_CONN_MAX_AGE="0",
    )

    assert database["OPTIONS"]["connect_timeout"] == 2
    assert database["OPTIONS"]["options"] == "-c jit=off -c statement_timeout=1min"
    assert database["CONN_MAX_AGE"] == 0


def test_options_given_in_the_database_url_are_kept() -> None:
    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "safespaces",
                "OPTIONS": {"options": "-c search_path=app"},
            }
        }
    )

    web_statement_timeout_apply(handler, timeout="20s")

    assert handler.settings["default"]["OPTIONS"]["options"] == (
        "-c search_path=app -c statement_timeout=20s"
    )


@pytest.mark.parametrize(
    ("engine", "timeout"),
    [("django.db.backends.sqlite3", "20s"), ("django.db.backends.postgresql", "0")],
)
def test_no_limit_is_set_on_sqlite_or_when_turned_off(engine: str, timeout: str) -> None:
    handler = ConnectionHandler({"default": {"ENGINE": engine, "NAME": "safespaces"}})

    web_statement_timeout_apply(handler, timeout=timeout)

    assert handler.settings["default"]["ENGINE"] == engine
    assert "options" not in handler.settings["default"]["OPTIONS"]


@pytest.mark.parametrize("value", ["20 s", "twenty", "20h", "-5s"])
def test_a_statement_timeout_postgres_would_not_read_is_named(read: Reader, value: str) -> None:
    config = read(DATABASE_STATEMENT_TIMEOUT=value)

    timeout = config.postgres_duration("DATABASE_STATEMENT_TIMEOUT", default="20s")

    assert timeout == "20s"
    assert config.problems == [
        "DATABASE_STATEMENT_TIMEOUT must be a duration such as 20s, 500ms or 2min (0: no limit)."
    ]


@pytest.mark.parametrize("value", ["20s", "500ms", "2min", "30000", "0"])
def test_a_statement_timeout_postgres_reads_is_taken(read: Reader, value: str) -> None:
    config = read(DATABASE_STATEMENT_TIMEOUT=value)

    assert config.postgres_duration("DATABASE_STATEMENT_TIMEOUT", default="20s") == value
    assert config.problems == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite compiles nothing just in time"
)
@pytest.mark.django_db
def test_postgres_compiles_no_query_just_in_time() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
