"""Named personas and helpers shared by every test.

Each persona is a real user built through the same models the app uses; tests sign them in with
`sign_in`, which gives the session both factors the way the login flow does.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoDbBlocker

from incidents.trends import kept_counts_forget
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from safespaces.crypto import keycheck
from tests.factories import PASSWORD, UserFactory

# The trail's own triggers on SQLite, as its migration installs and removes them.
_append_only = import_module("safespaces.audit.migrations.0002_append_only")
AUDIT_SQLITE: list[str] = _append_only.SQLITE
AUDIT_SQLITE_REVERSE: list[str] = _append_only.SQLITE_REVERSE


def pytest_configure(config: pytest.Config) -> None:
    # Argon2 is the point in production and a waste of minutes in tests.
    # Static files come from the source folders: tests do not run collectstatic.
    # WhiteNoise would look through every static folder for each new test client (it follows
    # DEBUG); no test outside the browser tests asks the test client for a static file.
    # No worker runs beside the tests: pages must not warn administrators that none does. The
    # tests of that warning turn it back on (tests/worker).
    # Tasks go to the same database queue as in production (TASKS is not overridden): a test
    # asserts what was queued, and when, with a query; tests/worker/conftest.py runs what is due.
    # The immediate backend would run a task at once and refuses `run_after`, the dummy one keeps
    # results in memory that a recurring task cannot point at.
    override_settings(
        WORKER_HEALTH_CHECKS=False,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    # The test database is built under the configured keys, so they fit it: the key check
    # (safespaces.crypto.keycheck) would otherwise run its queries on the first request of each
    # process, inside whichever test counts queries. tests/crypto/test_keycheck.py starts from
    # an unchecked state, and any other key set is checked as in production.
    keycheck._fits = settings.FIELD_ENCRYPTION_KEYS


def current_code(user: User) -> str:
    """The code the user's authenticator app shows right now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(user: User) -> str:
    """A code the app accepts in none of the time steps it tolerates right now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    near = {
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=d):06d}"
        for d in range(device.drift - device.tolerance, device.drift + device.tolerance + 1)
    }
    return next(code for code in (f"{n:06d}" for n in range(10)) if code not in near)


def sign_in(client: Client, user: User) -> Client:
    """Sign `user` in with both factors given."""
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def one_event_opening(client: Client, path: str) -> AuditEvent:
    """Open `path` (it must answer 200) and return the one audit event its response wrote."""
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    assert client.get(path).status_code == 200
    [event] = AuditEvent.objects.exclude(pk__in=before)
    return event


def sign_in_through_the_form(client: Client, user: User) -> Client:
    """Sign `user` in as a person does: the password, then a code from the authenticator, so
    the session is recorded as one of theirs. Each code works once: move a frozen clock on by
    30 seconds or more before the next sign-in."""
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    response = client.post("/login/verify/", {"code": current_code(user)})
    assert response["Location"] == "/"
    return client


def local(*parts: int) -> datetime:
    """A moment on the organization's clock (TIME_ZONE), as pages show it: for time-machine."""
    return timezone.make_aware(datetime(*parts))


@pytest.fixture(autouse=True)
def no_counts_kept_from_another_test() -> None:
    """Each test's changes are rolled back, month revisions included: counts kept by one test
    could otherwise be found, at the same revision, by the next."""
    kept_counts_forget()


@pytest.fixture
def administrator(db: None) -> User:
    """Amina, an administrator: manages accounts and who may see survivor data."""
    return UserFactory(username="amina", display_name="Amina", role=Role.ADMINISTRATOR)


@pytest.fixture
def coordinator(db: None) -> User:
    """Rosa, a coordinator: runs activities and the security work."""
    return UserFactory(username="rosa", display_name="Rosa", role=Role.COORDINATOR)


@pytest.fixture
def staff(db: None) -> User:
    """Lin, a staff member doing outreach."""
    return UserFactory(username="lin", display_name="Lin", role=Role.STAFF)


@pytest.fixture
def other_staff(db: None) -> User:
    """Sam, another staff member, to prove one staff member cannot see another's things."""
    return UserFactory(username="sam", display_name="Sam", role=Role.STAFF)


@pytest.fixture
def unverified(db: None) -> User:
    """Noor, a new staff member with a password and no second factor yet."""
    return UserFactory(username="noor", display_name="Noor", role=Role.STAFF, authenticator=False)


@pytest.fixture
def inactive(db: None) -> User:
    """Kai, a former volunteer whose account an administrator deactivated."""
    return UserFactory(username="kai", display_name="Kai", role=Role.STAFF, is_active=False)


@pytest.fixture
def named_staff(db: None) -> User:
    """Jo, a staff member a colleague names on an incident only the people named may see."""
    return UserFactory(username="jo", display_name="Jo", role=Role.STAFF)


@pytest.fixture(scope="module")
def committed_for_real(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """For a module of tests on real transactions (threads with their own connections, or
    migrations run in the test).

    Each such test ends with a flush of every table. The trail refuses TRUNCATE (Postgres) and
    DELETE (SQLite empties tables with it), as it should: that is let through while the module
    runs. Afterwards the rows data migrations wrote (the roles' groups) are put back for the next
    run that reuses the database, and the refusal too.
    """
    append_only = import_module("safespaces.audit.migrations.0002_append_only")
    postgres = connection.vendor == "postgresql"
    with django_db_blocker.unblock():
        contents = connection.creation.serialize_db_to_string()
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_truncate")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    yield
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            if postgres:
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_no_truncate")
            else:
                cursor.execute(append_only.SQLITE[1])
        connection.creation.deserialize_db_from_string(contents)


@contextmanager
def queries_run() -> Iterator[list[str]]:
    """The SQL of every query run inside the block. Not CaptureQueriesContext: the request
    clears the connection's query log it reads."""
    run: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        run.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield run
