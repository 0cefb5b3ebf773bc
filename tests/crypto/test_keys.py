"""Key validation: every problem names its variable and its fix, which is the key backup
wherever fresh keys could strand stored data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from safespaces.accounts.models import User
from safespaces.crypto.checks import check_keys
from safespaces.crypto.keys import (
    GENERATE_COMMAND,
    RESTORE,
    RESTORE_OR_NEW,
    fresh_environment,
    key_problems,
    new_key,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "s" * 10 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"


def good_keys() -> dict[str, str]:
    """A valid set of keys, as keyword arguments of key_problems."""
    return {
        "secret_key": SECRET_KEY,
        "field_keys": f"k1:{new_key()}",
        "blind_index_key": new_key(),
        "audit_key": new_key(),
    }


def fix() -> str:
    """The advice every problem ends with."""
    return f"Generate fresh values with: {GENERATE_COMMAND}"


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_it_accepts_a_valid_set_of_keys() -> None:
    assert key_problems(**good_keys()) == []


def test_it_accepts_an_old_field_key_after_the_primary_one() -> None:
    keys = good_keys() | {"field_keys": f"k2:{new_key()},k1:{new_key()}"}
    assert key_problems(**keys) == []


BAD_KEYS = {
    "missing SECRET_KEY": ("secret_key", "", "SECRET_KEY"),
    "short SECRET_KEY": ("secret_key", "too-short", "SECRET_KEY"),
    "repetitive SECRET_KEY": ("secret_key", "ab" * 40, "SECRET_KEY"),
    "missing field keys": ("field_keys", "", "FIELD_ENCRYPTION_KEYS"),
    "field key of 16 bytes": (
        "field_keys",
        "k1:AAAAAAAAAAAAAAAAAAAAAA==",
        "FIELD_ENCRYPTION_KEYS",
    ),
    "field key that is not base64": ("field_keys", "k1:abcde", "FIELD_ENCRYPTION_KEYS"),
    "field key without an id": ("field_keys", "AAAA", "FIELD_ENCRYPTION_KEYS"),
    "missing BLIND_INDEX_KEY": ("blind_index_key", "", "BLIND_INDEX_KEY"),
    "short BLIND_INDEX_KEY": ("blind_index_key", "AAAAAAAAAAAAAAAAAAAAAA==", "BLIND_INDEX_KEY"),
    "missing AUDIT_KEY": ("audit_key", "", "AUDIT_KEY"),
    "AUDIT_KEY that is not base64": ("audit_key", "abcde", "AUDIT_KEY"),
}


@pytest.mark.parametrize(("argument", "value", "variable"), BAD_KEYS.values(), ids=BAD_KEYS)
def test_it_reports_each_unusable_key_by_variable_and_fix(
    argument: str, value: str, variable: str
) -> None:
    problems = key_problems(**good_keys() | {argument: value})

    assert len(problems) == 1
    assert problems[0].startswith(variable)
    assert GENERATE_COMMAND in problems[0]


def test_it_says_why_a_short_key_is_unusable() -> None:
    problems = key_problems(**good_keys() | {"field_keys": "k1:AAAAAAAAAAAAAAAAAAAAAA=="})

    assert "32 bytes, got 16" in problems[0]


def test_it_says_when_a_key_is_not_base64() -> None:
    problems = key_problems(**good_keys() | {"field_keys": "k1:abcde"})

    assert "not valid base64" in problems[0]


def test_it_refuses_duplicate_key_ids() -> None:
    problems = key_problems(**good_keys() | {"field_keys": f"k1:{new_key()},k1:{new_key()}"})

    assert problems == [f"FIELD_ENCRYPTION_KEYS repeats a key id. {fix()}"]


def test_it_refuses_the_same_field_key_twice() -> None:
    key = new_key()
    problems = key_problems(**good_keys() | {"field_keys": f"k2:{key},k1:{key}"})

    assert problems == [f"FIELD_ENCRYPTION_KEYS holds the same key twice. {fix()}"]


def test_it_refuses_a_blind_index_key_equal_to_a_field_key() -> None:
    # Separate keys for separate jobs: a leaked index key must not open the fields.
    key = new_key()
    problems = key_problems(**good_keys() | {"field_keys": f"k1:{key}", "blind_index_key": key})

    assert problems == [f"BLIND_INDEX_KEY repeats the key of FIELD_ENCRYPTION_KEYS. {fix()}"]


def test_it_refuses_an_audit_key_equal_to_the_blind_index_key() -> None:
    key = new_key()
    problems = key_problems(**good_keys() | {"blind_index_key": key, "audit_key": key})

    assert problems == [f"AUDIT_KEY repeats the key of BLIND_INDEX_KEY. {fix()}"]


def test_it_reports_every_problem_at_once() -> None:
    problems = key_problems(secret_key="", field_keys="", blind_index_key="", audit_key="")

    assert [problem.split()[0] for problem in problems] == [
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "AUDIT_KEY",
    ]
    assert all(GENERATE_COMMAND in problem for problem in problems)


def test_a_fresh_environment_has_no_problems() -> None:
    values = parse_env(fresh_environment())

    assert (
        key_problems(
            secret_key=values["SECRET_KEY"],
            field_keys=values["FIELD_ENCRYPTION_KEYS"],
            blind_index_key=values["BLIND_INDEX_KEY"],
            audit_key=values["AUDIT_KEY"],
        )
        == []
    )


def test_two_fresh_environments_share_no_key() -> None:
    first, second = parse_env(fresh_environment()), parse_env(fresh_environment())

    assert not set(first.values()) & set(second.values())


def test_the_generate_command_prints_a_usable_environment() -> None:
    # The command every error message points to must work without a configured app.
    result = subprocess.run(
        [sys.executable, "-m", "safespaces.crypto.keys"],
        cwd=PROJECT_ROOT,
        env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    values = parse_env(result.stdout)

    assert set(values) == {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "AUDIT_KEY"}


def test_the_system_check_passes_with_the_configured_keys() -> None:
    assert check_keys() == []


def test_the_system_check_reports_unusable_keys(db: None) -> None:
    with override_settings(AUDIT_KEY=settings.BLIND_INDEX_KEY):
        errors = check_keys()

    assert [error.id for error in errors] == ["crypto.E001"]
    assert "AUDIT_KEY" in errors[0].msg


def test_the_system_check_suggests_fresh_keys_for_an_empty_database(db: None) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=""):
        errors = check_keys()

    assert [error.msg for error in errors] == [f"FIELD_ENCRYPTION_KEYS is missing. {fix()}"]


def test_the_system_check_never_suggests_fresh_keys_for_a_database_with_data(
    administrator: User,
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=""):
        errors = check_keys()

    assert [error.msg for error in errors] == [f"FIELD_ENCRYPTION_KEYS is missing. {RESTORE}"]
    assert GENERATE_COMMAND not in errors[0].msg


@pytest.mark.parametrize("holds_data", [True, None], ids=["holds data", "not known"])
def test_it_never_suggests_fresh_data_keys_where_data_may_exist(holds_data: bool | None) -> None:
    problems = key_problems(
        secret_key="", field_keys="", blind_index_key="", audit_key="", holds_data=holds_data
    )

    assert len(problems) == 4
    assert GENERATE_COMMAND in problems[0]  # a new SECRET_KEY only signs everyone out
    assert not any(GENERATE_COMMAND in problem for problem in problems[1:])
    assert all("restore the keys from your key backup" in p.lower() for p in problems[1:])


def test_it_reports_an_unusable_previous_audit_key() -> None:
    problems = key_problems(**good_keys(), audit_key_previous=f"{new_key()},abcde")

    assert problems == [f"AUDIT_KEY_PREVIOUS: entry 2 is not valid base64. {fix()}"]


COOKIE_SETTINGS = "print(settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE)"


def start_django(
    printing: str = COOKIE_SETTINGS, **variables: str
) -> subprocess.CompletedProcess[str]:
    """Start Django in a fresh interpreter with these settings and run `printing` (by default,
    print the cookie settings).

    settings.py reads .env with overwrite=False, so every variable set here wins over the
    developer's .env; all of them are set so the result does not depend on it.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"SECURE_COOKIES", "DATABASE_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "safespaces.settings",
        "PYTHONPATH": str(PROJECT_ROOT),
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": f"k1:{new_key()}",
        "BLIND_INDEX_KEY": new_key(),
        "AUDIT_KEY": new_key(),
        # Required in production; nothing here connects to it.
        "DATABASE_URL": "postgres://safespaces@db.example.org:5432/safespaces",
    } | variables
    script = f"import django; django.setup(); from django.conf import settings; {printing}"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_field_keys() -> None:
    result = start_django(FIELD_ENCRYPTION_KEYS="")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    # The database cannot be asked yet: the key backup is the advice, never fresh keys.
    assert f"- FIELD_ENCRYPTION_KEYS is missing. {RESTORE_OR_NEW}" in result.stderr
    assert GENERATE_COMMAND not in result.stderr


def test_production_starts_with_valid_keys_and_secure_host_cookies() -> None:
    result = start_django()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["__Host-session", "True"]
