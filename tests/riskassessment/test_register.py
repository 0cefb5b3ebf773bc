"""The risk register, GET /risks/: every current situation with its latest levels, the trend and
whether it is due, for coordinators and administrators, in a constant number of queries."""

from collections.abc import Iterator
from unittest.mock import patch

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from riskassessment import selectors
from riskassessment.models import RiskSituation
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from tests.conftest import local, queries_run, sign_in
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


def assessed_situations(count: int, by: User) -> list[RiskSituation]:
    """`count` current situations assessed today at places of their own: none is due."""
    situations = RiskSituationFactory.create_batch(count, created_by=by, place=PlaceFactory())
    for situation in situations:
        RiskAssessmentFactory(situation=situation)
    return situations


def test_the_due_filter_runs_in_the_database_in_as_many_queries_for_any_number(
    client: Client, coordinator: User
) -> None:
    sign_in(client, coordinator).get(URL)  # the first request notes the session's start
    assessed_situations(10, coordinator)
    with queries_run() as few:
        first = client.get(URL, {"due": "no"})
    assessed_situations(90, coordinator)
    never = RiskSituationFactory(created_by=coordinator, title="Never assessed")

    with queries_run() as many:
        response = client.get(URL, {"due": "no"})
    due = client.get(URL, {"due": "yes"})

    assert first.status_code == response.status_code == 200
    assert len(many) == len(few)
    assert len(rows(response)) == 25
    assert response.context["page"].paginator.count == 100
    assert never.pk not in {s.pk for s in rows(response)}
    assert [s.pk for s in rows(due)] == [never.pk]
    # No query reads every situation to keep the due ones in Python: each is limited to a page.
    listing = [sql for sql in many if "LIMIT" in sql.upper() and "title" in sql]
    assert len(listing) == 1 and "LIMIT 25" in listing[0].upper()


def test_the_reassessment_rules_run_for_the_page_shown_only(
    client: Client, coordinator: User
) -> None:
    assessed_situations(30, coordinator)
    sign_in(client, coordinator)

    with patch(
        "riskassessment.selectors._newest_incidents", wraps=selectors._newest_incidents
    ) as rules:
        response = client.get(URL)

    assert response.status_code == 200
    assert len(rows(response)) == 25
    assert [len(call.args[0]) for call in rules.call_args_list] == [25]
