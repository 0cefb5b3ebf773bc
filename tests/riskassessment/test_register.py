"""The risk register, GET /risks/: every current situation with its latest levels, the trend and
whether it is due, for coordinators and administrators, in a constant number of queries."""

from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from riskassessment.models import RiskSituation
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from tests.conftest import local, sign_in
from tests.factories import (
    ActorFactory,
    IncidentFactory,
    PlaceFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
)

URL = "/risks/"
NOW = local(2026, 3, 15, 12, 0)


@pytest.fixture(autouse=True)
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def rows(response: object) -> list[RiskSituation]:
    return [situation for situation, _reasons in response.context["rows"]]  # type: ignore[attr-defined]


def assessed_twice(by: User, before: Level, after: Level, **fields: object) -> RiskSituation:
    """A situation with two versions: `before` after the measures in the first, `after` in the
    second."""
    situation = RiskSituationFactory(created_by=by, **fields)
    RiskAssessmentFactory(situation=situation, number=1, residual_level=before)
    RiskAssessmentFactory(
        situation=situation, number=2, inherent_level=Level.CRITICAL, residual_level=after
    )
    return situation


def test_a_coordinator_sees_the_latest_levels_and_the_trend(
    client: Client, coordinator: User
) -> None:
    worse = assessed_twice(coordinator, Level.MODERATE, Level.HIGH, title="Court hearing")
    better = assessed_twice(coordinator, Level.CRITICAL, Level.LOW, title="Night outreach")

    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    by_title = {situation.title: situation for situation in rows(response)}
    assert (by_title["Court hearing"].inherent_level, by_title["Court hearing"].residual_level) == (
        Level.CRITICAL,
        Level.HIGH,
    )
    assert by_title["Court hearing"].previous_residual_level == Level.MODERATE
    assert by_title["Night outreach"].previous_residual_level == Level.CRITICAL
    page = response.content.decode()
    assert page.count('class="trend trend-up"') == 1
    assert page.count('class="trend trend-down"') == 1
    assert {worse.pk, better.pk} == {s.pk for s in rows(response)}


def test_the_worst_residual_risk_comes_first_after_those_never_assessed(
    client: Client, coordinator: User
) -> None:
    low = assessed_twice(coordinator, Level.LOW, Level.LOW)
    critical = assessed_twice(coordinator, Level.LOW, Level.CRITICAL)
    never = RiskSituationFactory(created_by=coordinator)
    moderate = assessed_twice(coordinator, Level.LOW, Level.MODERATE)

    response = sign_in(client, coordinator).get(URL)

    assert [s.pk for s in rows(response)] == [never.pk, critical.pk, moderate.pk, low.pk]


def test_closed_situations_are_left_out_unless_asked_for_and_then_come_last(
    client: Client, coordinator: User
) -> None:
    current = assessed_twice(coordinator, Level.LOW, Level.LOW)
    closed = assessed_twice(coordinator, Level.LOW, Level.CRITICAL, status="closed")
    sign_in(client, coordinator)

    default = client.get(URL)
    with_closed = client.get(URL, {"closed": "on"})

    assert [s.pk for s in rows(default)] == [current.pk]
    assert [s.pk for s in rows(with_closed)] == [current.pk, closed.pk]


def test_it_says_why_a_situation_is_due(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory(created_by=coordinator, title="Never looked at")
    assessed_twice(coordinator, Level.LOW, Level.LOW, title="Looked at")

    response = sign_in(client, coordinator).get(URL, {"due": "yes"})

    assert [s.pk for s in rows(response)] == [situation.pk]
    assert response.context["rows"][0][1] == ["It has never been assessed."]
    assert "It has never been assessed." in response.content.decode()
    assert [s.title for s in rows(client.get(URL, {"due": "no"}))] == ["Looked at"]


def test_an_administrator_sees_the_register(client: Client, administrator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, administrator).get(URL)

    assert [s.pk for s in rows(response)] == [situation.pk]


def test_a_post_is_refused(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).post(URL).status_code == 405


def populate(count: int, by: User) -> None:
    """`count` situations at places of their own, each with two versions with a threat from a
    known source, a linked incident and a due flag to work out."""
    for _ in range(count):
        situation = RiskSituationFactory(created_by=by, place=PlaceFactory())
        situation.incidents.add(IncidentFactory(reporter=by))
        for number in (1, 2):
            assessment = RiskAssessmentFactory(situation=situation, number=number)
            RiskThreatFactory(assessment=assessment, source=ActorFactory(capabilities=[]))


def test_the_query_count_does_not_grow_with_the_number_of_situations(
    client: Client, coordinator: User, django_assert_num_queries: object
) -> None:
    sign_in(client, coordinator).get(URL)  # the first request notes the session's start
    populate(2, coordinator)
    with CaptureQueriesContext(connection) as few:
        first = client.get(URL)
    populate(28, coordinator)

    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        response = client.get(URL)

    assert len(rows(first)) == 2
    # A page of 25 rows: a query per row would add 23 to the count.
    assert len(rows(response)) == 25
    assert response.context["page"].paginator.count == 30
    assert all(situation.place.name in response.content.decode() for situation in rows(response))


def test_a_decision_waiting_for_approval_says_so_and_an_approved_one_does_not(
    client: Client, coordinator: User, administrator: User
) -> None:
    waiting = RiskSituationFactory(created_by=coordinator, title="Court hearing")
    RiskAssessmentFactory(
        situation=waiting,
        decision="go_with_measures",
        decided_by=administrator,
        residual_level=Level.HIGH,
    )
    approved = RiskSituationFactory(created_by=coordinator, title="Station outreach")
    RiskAssessmentFactory(
        situation=approved,
        decision="go_with_measures",
        decided_by=administrator,
        approved_by=coordinator,
        residual_level=Level.HIGH,
    )

    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    shown = {situation.title: situation.awaits_approval for situation in rows(response)}
    assert shown == {"Court hearing": True, "Station outreach": False}
    assert response.content.decode().count("Waiting for approval") == 1
