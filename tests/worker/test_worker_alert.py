"""Administrators see on every page that alerts are not being sent when no worker has beaten
for two minutes, with the time on the organization's clock; nobody else sees it."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings

from safespaces.accounts.models import User
from safespaces.worker import heartbeat
from safespaces.worker.heartbeat import heartbeat_beat
from tests.conftest import sign_in

# 21:04 on 3 December in Mexico City (UTC-6) is 03:04 on the 4th in UTC.
LAST_BEAT = datetime(2026, 12, 4, 3, 4, tzinfo=UTC)
SIX_MINUTES_LATER = datetime(2026, 12, 4, 3, 10, tzinfo=UTC)
BANNER = 'class="system-alert"'


@pytest.fixture(autouse=True)
def organization(settings: Settings) -> None:
    settings.WORKER_HEALTH_CHECKS = True
    settings.TIME_ZONE = "America/Mexico_City"


def page_for(client: Client, user: User, path: str = "/") -> str:
    response = sign_in(client, user).get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_administrators_see_since_when_alerts_are_not_sent(
    client: Client, administrator: User
) -> None:
    heartbeat_beat(worker_id="w1", started_at=LAST_BEAT, now=LAST_BEAT)

    with time_machine.travel(SIX_MINUTES_LATER, tick=False):
        home = page_for(client, administrator)
        people = page_for(client, administrator, "/people/")

    assert BANNER in home
    assert "Alerts are not being sent since 21:04." in home
    assert "Alerts are not being sent since 21:04." in people


def test_a_worker_gone_since_another_day_is_given_the_day(
    client: Client, administrator: User
) -> None:
    heartbeat_beat(worker_id="w1", started_at=LAST_BEAT, now=LAST_BEAT)

    with time_machine.travel(datetime(2026, 12, 5, 15, 0, tzinfo=UTC), tick=False):
        page = page_for(client, administrator)

    assert "Alerts are not being sent since 3 Dec, 21:04." in page


def test_a_worker_that_never_ran_is_reported_too(
    client: Client, administrator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heartbeat, "_process_started_at", LAST_BEAT)

    with time_machine.travel(SIX_MINUTES_LATER, tick=False):
        page = page_for(client, administrator)

    assert "Alerts are not being sent: the background worker has not run yet." in page


@pytest.mark.parametrize("persona", ["coordinator", "staff"])
def test_nobody_else_sees_it(
    client: Client, persona: str, request: pytest.FixtureRequest, db: None
) -> None:
    heartbeat_beat(worker_id="w1", started_at=LAST_BEAT, now=LAST_BEAT)
    user = request.getfixturevalue(persona)

    with time_machine.travel(SIX_MINUTES_LATER, tick=False):
        page = page_for(client, user)

    assert 'class="site-nav"' in page
    assert BANNER not in page
    assert "Alerts are not being sent" not in page


def test_administrators_see_nothing_while_a_worker_beats(
    client: Client, administrator: User
) -> None:
    heartbeat_beat(worker_id="w1", started_at=LAST_BEAT, now=LAST_BEAT)

    with time_machine.travel(datetime(2026, 12, 4, 3, 5, tzinfo=UTC), tick=False):
        page = page_for(client, administrator)

    assert 'class="site-nav"' in page
    assert BANNER not in page
