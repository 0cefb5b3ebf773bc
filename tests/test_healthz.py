"""/healthz: plain 'ok' for load balancers while the database answers and a worker beats;
otherwise 503 and a small JSON naming what fails, never more."""

from datetime import datetime

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from pytest_django.fixtures import Settings

from safespaces.worker import heartbeat
from safespaces.worker.heartbeat import heartbeat_beat
from tests.conftest import local

BEAT = local(2026, 12, 3, 21, 4)


@pytest.fixture(autouse=True)
def worker_checks(settings: Settings) -> None:
    settings.WORKER_HEALTH_CHECKS = True


def a_worker_beat_at(moment: datetime) -> None:
    heartbeat_beat(worker_id="w1", started_at=moment, now=moment)


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


def test_it_names_the_worker_when_none_beat_for_two_minutes(client: Client, db: None) -> None:
    a_worker_beat_at(BEAT)

    with time_machine.travel(local(2026, 12, 3, 21, 6), tick=False):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"database": "ok", "worker": "not seen since 2026-12-03T21:04Z"}


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
    assert late.status_code == 503
    assert late.json() == {"database": "ok", "worker": "never seen"}


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
    def unreachable(**kwargs: object) -> None:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("safespaces.views.worker_status", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "unavailable", "worker": "unknown"}
