"""/healthz: plain 'ok' for load balancers while the database answers, the keys open stored
values, the audit chain's newest row verifies and a worker beats. When one of the first three
fails, 503 and a small JSON naming each part; a missing worker alone is named with 200, so the
load balancer keeps every server in. Never a secret or an error message."""

from datetime import datetime

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record, audit_seal
from safespaces.crypto.keys import new_key
from safespaces.worker import heartbeat
from safespaces.worker.heartbeat import heartbeat_beat
from tests.conftest import local
from tests.factories import PlaceFactory

BEAT = local(2026, 12, 3, 21, 4)


@pytest.fixture(autouse=True)
def worker_checks(settings: Settings) -> None:
    settings.WORKER_HEALTH_CHECKS = True


def a_worker_beat_at(moment: datetime) -> None:
    heartbeat_beat(worker_id="w1", started_at=moment, now=moment)


@pytest.fixture
def worker_running(db: None) -> None:
    """A worker beat just now: only the part under test can fail."""
    a_worker_beat_at(timezone.now())


def test_it_answers_ok_without_login(client: Client, db: None) -> None:
    a_worker_beat_at(BEAT)

    with time_machine.travel(local(2026, 12, 3, 21, 5), tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain"


def test_it_answers_ok_up_to_two_minutes_after_the_last_beat(client: Client, db: None) -> None:
    a_worker_beat_at(BEAT)

    with time_machine.travel(local(2026, 12, 3, 21, 5, 59), tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_it_names_the_worker_when_none_beat_for_two_minutes_and_stays_in_service(
    client: Client, db: None
) -> None:
    a_worker_beat_at(BEAT)

    with time_machine.travel(local(2026, 12, 3, 21, 6), tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "database": "ok",
        "keys": "ok",
        "audit": "ok",
        "worker": "not seen since 2026-12-03T21:04Z",
    }


def test_the_newest_beat_of_any_worker_counts(client: Client, db: None) -> None:
    a_worker_beat_at(BEAT)
    heartbeat_beat(worker_id="w2", started_at=BEAT, now=local(2026, 12, 3, 21, 30))

    with time_machine.travel(local(2026, 12, 3, 21, 31), tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_a_worker_never_seen_is_reported_once_the_app_has_run_two_minutes(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heartbeat, "_process_started_at", local(2026, 12, 3, 21, 0))

    with time_machine.travel(local(2026, 12, 3, 21, 1, 59), tick=False):
        starting = client.get("/healthz")
    with time_machine.travel(local(2026, 12, 3, 21, 2), tick=False):
        late = client.get("/healthz")

    assert (starting.status_code, starting.content) == (200, b"ok")
    assert late.status_code == 200
    assert late.json()["worker"] == "never seen"


def test_it_says_nothing_of_the_worker_where_no_worker_is_meant_to_run(
    client: Client, db: None, settings: Settings
) -> None:
    settings.WORKER_HEALTH_CHECKS = False
    a_worker_beat_at(BEAT)

    with time_machine.travel(local(2026, 12, 4, 21, 0), tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"


def test_it_names_the_database_when_it_does_not_answer(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> None:
        raise OperationalError("could not connect to server at 10.0.0.5 as safespaces_app")

    # Only for the request: the test's own clean-up needs the connection.
    with monkeypatch.context() as patched:
        patched.setattr("safespaces.health.connection.cursor", unreachable)
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "database": "unavailable",
        "keys": "unknown",
        "audit": "unknown",
        "worker": "unknown",
    }
    assert b"10.0.0.5" not in response.content


def test_it_names_the_keys_when_they_do_not_open_stored_values(
    client: Client, worker_running: None, db: None, settings: Settings
) -> None:
    PlaceFactory()
    wrong = f"k9:{new_key()}"
    settings.FIELD_ENCRYPTION_KEYS = wrong

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "keys": "cannot open stored values",
        "audit": "ok",
        "worker": "ok",
    }
    assert wrong.split(":")[1].encode() not in response.content


def test_the_keys_that_open_stored_values_are_ok(
    client: Client, worker_running: None, db: None
) -> None:
    PlaceFactory()

    response = client.get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok")


def test_checking_the_keys_records_nothing_in_the_audit_trail(
    client: Client, worker_running: None, db: None
) -> None:
    PlaceFactory()
    before = AuditEvent.objects.count()

    response = client.get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok")
    assert AuditEvent.objects.count() == before


def test_it_names_the_audit_chain_when_its_newest_row_does_not_verify_under_the_key(
    client: Client, worker_running: None, staff: User, settings: Settings
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    audit_seal()  # on Postgres a test's transaction never commits, so nothing sealed it
    settings.AUDIT_KEY = new_key()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "ok",
        "keys": "ok",
        "audit": "newest row does not verify under AUDIT_KEY",
        "worker": "ok",
    }
    assert settings.AUDIT_KEY.encode() not in response.content


def test_the_audit_chain_verifies_under_the_key_that_wrote_it(
    client: Client, worker_running: None, staff: User
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)

    response = client.get("/healthz")

    assert (response.status_code, response.content) == (200, b"ok")
