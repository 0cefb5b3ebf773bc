"""The outage drill: the app as in production (gunicorn, Postgres) loses its database while
people send forms, and gets it back.

The test starts a Postgres of its own (tests.postgres), migrates it, serves the app from it with
gunicorn and signs a staff member in through the real forms. Then it stops the database as a
crash would and logs N incidents: each answer must be the 503 page saying "Nothing was saved",
holding what was typed. Once the database is back, "Try again" on each page saves it. Figures:
submits during the outage, and how many were lost without the person being told (must be 0).

It runs once, on the SQLite run of the suite: it brings its own database, so the Postgres run
would only repeat it. Run with `-s` to see the figures.
"""

import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django_otp.oath import totp

from tests.factories import PASSWORD
from tests.postgres import OwnPostgres, own_postgres, postgres_binaries
from tests.servers import free_port, wait_until_serving
from tests.test_outage_page import HiddenFields

PROJECT = Path(__file__).resolve().parent.parent
SUBMITS = 10
BINARIES = postgres_binaries()

pytestmark = [
    pytest.mark.skipif(
        BINARIES is None, reason="initdb is not installed (apt-get install postgresql)"
    ),
    pytest.mark.skipif(
        connection.vendor == "postgresql",
        reason="runs once, on the SQLite run: it starts a Postgres of its own",
    ),
]

# Migrate, then a staff member with an authenticator; prints the authenticator's key.
SET_UP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_otp.plugins.otp_totp.models import TOTPDevice
from safespaces.accounts.roles import Role
from tests.factories import UserFactory
user = UserFactory(username="lin", role=Role.STAFF)
print(TOTPDevice.objects.get(user=user).bin_key.hex())
"""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """Cookies, forms and answers as they come, redirects and errors included."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects()
        )

    def request(self, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def form(self, path: str, **fields: str) -> list[tuple[str, str]]:
        """The page's form token and these fields, as a browser sends them."""
        status, page = self.request(path)
        assert status == 200, page
        token = dict(HiddenFields(page).fields)["csrfmiddlewaretoken"]
        return [("csrfmiddlewaretoken", token), *fields.items()]


def app_env(database: OwnPostgres, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "safespaces.settings",
        "DATABASE_URL": database.url,
        "DEBUG": "true",
        "WORKER_HEALTH_CHECKS": "false",
        "ATTACHMENTS_DIR": str(folder / "attachments"),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def database() -> Iterator[OwnPostgres]:
    assert BINARIES is not None
    with own_postgres(BINARIES) as server:
        yield server


@pytest.fixture
def app(database: OwnPostgres, tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    """The app served by gunicorn from the drill's database; the base address and the staff
    member's authenticator key."""
    env = app_env(database, tmp_path)
    port = free_port()
    # gunicorn starts while the database is migrated: it connects only for a request.
    with (tmp_path / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "safespaces.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "30"],
            cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    set_up = subprocess.run(
        [sys.executable, "-c", SET_UP], cwd=PROJECT, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert set_up.returncode == 0, set_up.stderr
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, tmp_path / "gunicorn.log", seconds=15)
        yield base, bytes.fromhex(set_up.stdout.strip())
    finally:
        server.terminate()
        server.wait(timeout=30)


def signed_in(base: str, key: bytes) -> Browser:
    browser = Browser(base)
    status, _page = browser.request(
        "/login/", browser.form("/login/", username="lin", password=PASSWORD)
    )
    assert status == 302
    code = f"{totp(key):06d}"
    status, _page = browser.request("/login/verify/", browser.form("/login/verify/", code=code))
    assert status == 302
    return browser


def incidents_saved(database: OwnPostgres) -> int:
    with psycopg2.connect(database.url) as db, db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM incidents_incident")
        (count,) = cursor.fetchone()
    db.close()
    return int(count)


def test_no_form_sent_during_an_outage_is_lost_without_the_person_being_told(
    database: OwnPostgres, app: tuple[str, bytes]
) -> None:
    base, key = app
    browser = signed_in(base, key)
    # One form token serves every form of the session, as in a browser with several tabs.
    token = browser.form("/incidents/new/")
    forms = [
        [
            *token,
            ("kind", "incident"),
            ("occurred_on", "2026-03-01"),
            ("summary", f"Drill incident {n}: a car waited outside the shelter"),
            ("visibility", "team"),
            ("severity", "3"),
        ]
        for n in range(SUBMITS)
    ]

    database.stop()
    answers = [browser.request("/incidents/new/", form) for form in forms]
    # As a load balancer asks: without the session, which could not be read either.
    health = Browser(base).request("/healthz")
    told = [
        status == 503 and "Nothing was saved." in page and HiddenFields(page).fields == form
        for (status, page), form in zip(answers, forms, strict=True)
    ]
    lost_without_notice = told.count(False)
    print(f"\nOutage drill: {SUBMITS} submits during the outage, ", end="")
    print(f"{lost_without_notice} lost without notice")

    database.start()
    saved_before_try_again = incidents_saved(database)
    resent = [browser.request("/incidents/new/", HiddenFields(page).fields) for _s, page in answers]

    assert lost_without_notice == 0
    assert health[0] == 503
    assert '"database": "unavailable"' in health[1]
    assert saved_before_try_again == 0
    assert [status for status, _page in resent] == [302] * SUBMITS
    assert incidents_saved(database) == SUBMITS
