from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident
from riskassessment.models import RiskSituation
from riskassessment.services import levels_refresh
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    AlternativeFactory,
    CapacityFactory,
    IncidentFactory,
    MeasureFactory,
    PersonFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    ThreatAssessmentFactory,
    UserFactory,
    VulnerabilityFactory,
)

UNKNOWN = "/risks/00000000-0000-4000-8000-000000000000/"


def url(situation: RiskSituation) -> str:
    return f"/risks/{situation.pk}/"


def test_a_coordinator_sees_the_scores_the_heat_map_and_why(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()  # T 4, V 3, C 2: R = 6, high
    RiskThreatFactory(assessment=assessment, likelihood=3, impact=4)

    response = sign_in(client, coordinator).get(url(assessment.situation))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Thursday night outreach at the station" in page
    assert "Reach women recruited at the station and offer them a way out." in page
    assert 'R = 4 × 3 / 2 = <strong>6.0</strong> <span class="level level-3">High</span>' in page
    assert (
        "Risk is high mainly because the threat is strong and capacities are low: reduce the "
        "threat first (allies, changing or postponing the activity)." in page
    )
    assert '<svg role="img"' in page
    assert "Likelihood 3, impact 4 (score 12, High): 1 threat" in page
    assert "The recruiter&#x27;s men follow outreach workers home." in page


def test_a_threats_incidents_are_named_only_if_the_coordinator_may_see_them(
    client: Client, coordinator: User
) -> None:
    threat = RiskThreatFactory()
    shown, hidden = IncidentFactory(), IncidentFactory(visibility="named")
    threat.linked_incidents.set([shown, hidden])

    response = sign_in(client, coordinator).get(url(threat.assessment.situation))

    assert response.status_code == 200
    assert f"Incidents: {shown.reference}".encode() in response.content
    assert hidden.reference.encode() not in response.content


def test_each_threat_names_its_own_incidents_newest_first(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    first, second = RiskThreatFactory.create_batch(2, assessment=assessment)
    today = timezone.localdate()
    # Logged before the older one: the order is by when each happened, not by when it was logged.
    newer, other = IncidentFactory.create_batch(2, occurred_on=today)
    older = IncidentFactory(occurred_on=today - timedelta(days=30))
    first.linked_incidents.set([older, newer])
    second.linked_incidents.set([other])

    response = sign_in(client, coordinator).get(url(assessment.situation))

    assert response.status_code == 200
    content = response.content.decode()
    assert f"Incidents: {newer.reference}, {older.reference}</span>" in content
    assert f"Incidents: {other.reference}</span>" in content


@pytest.mark.parametrize(("conclusion", "credible"), [("likely", True), ("possible", False)])
def test_a_threat_is_credible_when_a_linked_incident_was_found_likely_seen_or_not(
    client: Client, coordinator: User, conclusion: str, credible: bool
) -> None:
    # Rated unlikely, but an incident's threat assessment found it likely: the page says so,
    # even when the incident is one the coordinator may not see, and still does not name it.
    threat = RiskThreatFactory(likelihood=2, impact=3)
    hidden = IncidentFactory(visibility="named")
    threat.linked_incidents.set([hidden])
    ThreatAssessmentFactory(incident=hidden, conclusion=conclusion)

    response = sign_in(client, coordinator).get(url(threat.assessment.situation))

    assert response.status_code == 200
    assert "2 × 3 = 6".encode() in response.content  # the threat's row is on the page
    assert (b"A threat is credible and current." in response.content) is credible
    assert hidden.reference.encode() not in response.content


def test_opening_it_is_audited(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    sign_in(client, coordinator).get(url(situation))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "riskassessment.risksituation",
        str(situation.pk),
    )


def test_a_situation_never_assessed_says_it_is_due(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).get(url(situation))

    assert b"Due for reassessment" in response.content
    assert b"It has never been assessed." in response.content
    assert b"Not assessed yet." in response.content


def test_a_decision_past_its_date_says_why_it_is_due(client: Client, coordinator: User) -> None:
    RiskAssessmentFactory(
        decision="go",
        rationale="Worth it",
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    situation = RiskSituation.objects.get()

    response = sign_in(client, coordinator).get(url(situation))

    assert response.status_code == 200
    assert b"The decision&#x27;s validity date has passed." in response.content
    assert b"It has never been assessed." not in response.content


def test_a_current_decision_is_not_due(client: Client, coordinator: User) -> None:
    RiskAssessmentFactory(
        decision="go", rationale="Worth it", valid_until=timezone.localdate() + timedelta(days=30)
    )

    situation = RiskSituation.objects.get()

    response = sign_in(client, coordinator).get(url(situation))

    assert response.status_code == 200
    assert f"<h1>{situation.title}</h1>".encode() in response.content
    assert b"Worth it" in response.content
    assert b"Due for reassessment" not in response.content


def decided_now(situation: RiskSituation) -> None:
    RiskAssessmentFactory(
        situation=situation,
        decision="go",
        rationale="Worth it",
        valid_until=timezone.localdate() + timedelta(days=30),
    )


def logged_later(**fields: object) -> Incident:
    """An incident logged an hour after the assessment."""
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        return IncidentFactory(**fields)


def test_a_newer_incident_from_a_threats_source_makes_it_due(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory()
    decided_now(situation)
    crew = ActorFactory()
    RiskThreatFactory(assessment=situation.assessments.get(), source=crew)
    sign_in(client, coordinator)
    reason = b"A newer incident came from one of its threat sources."
    before = client.get(url(situation))

    logged_later(source=crew)
    after = client.get(url(situation))

    assert (before.status_code, after.status_code) == (200, 200)
    assert reason not in before.content and b"Due for reassessment" not in before.content
    assert reason in after.content


def test_a_newer_incident_affecting_a_participant_makes_it_due(
    client: Client, coordinator: User, staff: User
) -> None:
    situation = RiskSituationFactory(participants=[staff])
    decided_now(situation)
    lin = PersonFactory(user=staff)
    sign_in(client, coordinator)
    reason = b"A newer incident affects someone taking part."
    before = client.get(url(situation))

    logged_later().affected_people.add(lin)
    after = client.get(url(situation))

    assert (before.status_code, after.status_code) == (200, 200)
    assert reason not in before.content and b"Due for reassessment" not in before.content
    assert reason in after.content


def test_an_earlier_version_is_listed_with_a_link(client: Client, coordinator: User) -> None:
    first = RiskAssessmentFactory(number=1, decision="go", rationale="Fine")
    second = RiskAssessmentFactory(situation=first.situation, number=2)

    response = sign_in(client, coordinator).get(url(first.situation))

    assert response.status_code == 200
    assert f'href="/risks/assessments/{first.pk}/"'.encode() in response.content
    assert f'href="/risks/assessments/{second.pk}/"'.encode() not in response.content
    assert b"Assessment, version 2" in response.content


def test_staff_may_not_open_it_even_when_taking_part(client: Client, staff: User) -> None:
    situation = RiskSituationFactory(participants=[staff])

    response = sign_in(client, staff).get(url(situation))

    assert response.status_code == 403
    assert b"This page is not for your role" in response.content
    assert b"Thursday night" not in response.content


def test_an_unknown_or_malformed_code_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.get("/risks/1/").status_code == 404
    assert client.get("/risks/../etc/passwd/").status_code == 404


def test_post_is_refused(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    assert sign_in(client, coordinator).post(url(situation)).status_code == 405


def populated(n: int) -> RiskSituation:
    """A situation whose latest assessment has `n` of everything a page can show."""
    situation = RiskSituationFactory(
        participants=UserFactory.create_batch(n, role=Role.STAFF),
        people=PersonFactory.create_batch(n),
        incidents=IncidentFactory.create_batch(n),
    )
    RiskAssessmentFactory(situation=situation, number=1, decision="go", rationale="Fine")
    assessment = RiskAssessmentFactory(situation=situation, number=2, residual_threat=3)
    assessment.residual_vulnerability, assessment.residual_capacity = 2, 3
    for i in range(n):
        incident = IncidentFactory()
        ThreatAssessmentFactory(incident=incident, conclusion="likely")
        source = AdversaryFactory() if i % 2 else ActorFactory()
        threat = RiskThreatFactory(
            assessment=assessment, source=source, residual_likelihood=2, residual_impact=2
        )
        threat.linked_incidents.set([incident])
        vulnerability = VulnerabilityFactory(assessment=assessment)
        CapacityFactory(assessment=assessment, answers=vulnerability)
        AlternativeFactory(assessment=assessment)
        MeasureFactory(
            situation=situation,
            owner=UserFactory(role=Role.STAFF),
            ally=ActorFactory(),
            threat=threat,
            vulnerability=vulnerability,
        )
    levels_refresh(assessment)
    assessment.save()
    return situation


def queries_to_open(client: Client, situation: RiskSituation) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(situation))
    assert response.status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_threats_and_measures(
    client: Client, coordinator: User
) -> None:
    sign_in(client, coordinator)
    small, large = populated(2), populated(20)
    queries_to_open(client, small)  # sessions, caches and the like settle on the first request

    assert queries_to_open(client, small) == queries_to_open(client, large)
    # And how many, so that one more shows: 22 on Postgres, where the audit trail is sealed once
    # the response is sent; on SQLite it is sealed in the request's transaction, five more.
    assert queries_to_open(client, large) <= (27 if connection.vendor == "sqlite" else 22)


def test_an_open_measure_past_its_date_is_marked_overdue(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()
    yesterday = timezone.localdate() - timedelta(days=1)
    MeasureFactory(situation=situation, due_on=yesterday, description="Buy a second phone.")
    MeasureFactory(situation=situation, due_on=yesterday, status="done", description="Done one.")

    content = sign_in(client, coordinator).get(url(situation)).content.decode()

    assert content.count('<p class="due">Overdue</p>') == 1
    assert content.index("Overdue") < content.index("Done one.")
