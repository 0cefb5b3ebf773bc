from django.test import Client
from django.utils import timezone

from riskassessment.models import Assessment
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    AdversaryFactory,
    AlternativeFactory,
    CapacityFactory,
    RiskAssessmentFactory,
    RiskThreatFactory,
    VulnerabilityFactory,
)

UNKNOWN = "/risks/assessments/00000000-0000-4000-8000-000000000000/"
APPROVE = b"Approve this decision"


def url(assessment: Assessment) -> str:
    return f"/risks/assessments/{assessment.pk}/"


def decided(by: User, **kwargs: object) -> Assessment:
    return RiskAssessmentFactory(
        decision="go_with_measures",
        rationale="Worth it with two of us.",
        valid_until=timezone.localdate(),
        decided_by=by,
        decided_at=timezone.now(),
        **kwargs,
    )


def test_a_coordinator_reads_an_earlier_version_as_it_was_decided(
    client: Client, coordinator: User
) -> None:
    older = decided(coordinator, number=1, residual_level=Level.MODERATE)
    RiskThreatFactory(assessment=older, source=AdversaryFactory(name="Blue Door Crew"))
    vulnerability = VulnerabilityFactory(assessment=older)
    CapacityFactory(assessment=older, answers=vulnerability)
    AlternativeFactory(assessment=older)
    RiskAssessmentFactory(situation=older.situation, number=2)

    response = sign_in(client, coordinator).get(url(older))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Assessment, version 1" in page
    assert "Thursday night outreach at the station" in page
    assert "R = 4 × 3 / 2 = <strong>6.0</strong>" in page
    assert "Risk is high mainly because the threat is strong and capacities are low" in page
    assert '<svg role="img"' in page
    assert "Blue Door Crew" in page
    assert "answers: Outreach workers walk to the bus alone." in page
    assert "Reach the women through the clinic&#x27;s nurse instead." in page
    assert "<strong>Go with measures</strong>" in page
    assert "Worth it with two of us." in page
    assert f'href="/risks/{older.situation_id}/"' in page


def test_opening_it_is_audited(client: Client, administrator: User) -> None:
    assessment = RiskAssessmentFactory()

    sign_in(client, administrator).get(url(assessment))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        administrator,
        "riskassessment.assessment",
        str(assessment.pk),
    )


def test_another_coordinator_is_offered_the_approval(
    client: Client, coordinator: User, administrator: User
) -> None:
    assessment = decided(coordinator, residual_level=Level.HIGH)

    own = sign_in(client, coordinator).get(url(assessment))
    other = sign_in(Client(), administrator).get(url(assessment))

    assert b"Waiting: the risk stays high after the measures" in own.content
    assert APPROVE not in own.content
    assert APPROVE in other.content


def test_an_undecided_version_says_so(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).get(url(assessment))

    assert response.status_code == 200
    assert b"Not decided yet." in response.content
    assert APPROVE not in response.content


def test_staff_may_not_read_assessments_even_of_their_situations(
    client: Client, staff: User
) -> None:
    assessment = RiskAssessmentFactory(situation__participants=[staff])

    response = sign_in(client, staff).get(url(assessment))

    assert response.status_code == 403
    assert b"This page is not for your role" in response.content
    assert b"Thursday night" not in response.content


def test_an_unknown_or_malformed_code_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.get("/risks/assessments/abc/").status_code == 404


def test_post_is_refused(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    assert sign_in(client, coordinator).post(url(assessment)).status_code == 405
