from datetime import timedelta

from django.test import Client
from django.utils import timezone

from riskassessment.models import Assessment, Capacity, Measure, RiskSituation, Threat
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    CapacityFactory,
    IncidentFactory,
    MeasureFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    VulnerabilityFactory,
)

UNKNOWN = "/risks/00000000-0000-4000-8000-000000000000/assess/"


def url(situation: RiskSituation) -> str:
    return f"/risks/{situation.pk}/assess/"


def test_a_coordinator_starts_the_first_version_and_lists_threats_next(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory()
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(situation), {"trigger": "before", "linked_incidents": [incident.pk]}
    )

    assessment = Assessment.objects.get()
    assert response["Location"] == f"/risks/assessments/{assessment.pk}/threats/"
    assert (assessment.situation, assessment.number, assessment.trigger) == (
        situation,
        1,
        "before",
    )
    assert (assessment.created_by, assessment.threat, assessment.inherent_level) == (
        coordinator,
        None,
        None,
    )
    assert list(assessment.linked_incidents.all()) == [incident]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(assessment.pk),
        ["trigger"],
    )


def test_a_new_version_starts_from_the_last_ones_lists_and_ratings(
    client: Client, administrator: User
) -> None:
    previous = RiskAssessmentFactory(number=1, decision="go", rationale="Fine")
    threat = RiskThreatFactory(assessment=previous, likelihood=5, impact=4)
    threat.linked_incidents.set([IncidentFactory()])
    vulnerability = VulnerabilityFactory(assessment=previous)
    CapacityFactory(assessment=previous, answers=vulnerability)
    measure = MeasureFactory(situation=previous.situation, threat=threat)

    sign_in(client, administrator).post(url(previous.situation), {"trigger": "after_incident"})

    new = Assessment.objects.get(number=2)
    assert (new.threat, new.vulnerability, new.capacity, new.decision) == (4, 3, 2, "")
    assert new.lens_notes == "Women alone are approached by recruiters more often."
    copy = Threat.objects.get(assessment=new)
    assert (copy.description, copy.likelihood, copy.impact) == (
        "The recruiter's men follow outreach workers home.",
        5,
        4,
    )
    assert copy.pk != threat.pk and copy.linked_incidents.count() == 1
    answer = Capacity.objects.get(assessment=new)
    assert answer.answers.assessment == new
    assert Measure.objects.get(pk=measure.pk).threat == copy
    assert new.inherent_level == 4  # the threat rated 5 x 4 is critical
    assert Threat.objects.filter(assessment=previous).count() == 1


def test_the_page_says_whether_it_assesses_or_reassesses(client: Client, coordinator: User) -> None:
    first = RiskSituationFactory()
    again = RiskAssessmentFactory(number=3, decision="go").situation
    sign_in(client, coordinator)

    assert b"Five short steps" in client.get(url(first)).content
    assert b"Version 3 stays as the record." in client.get(url(again)).content


def test_a_reassessment_waits_until_the_one_in_progress_is_decided(
    client: Client, coordinator: User
) -> None:
    in_progress = RiskAssessmentFactory(number=2)
    sign_in(client, coordinator)

    response = client.post(url(in_progress.situation), {"trigger": "periodic"})

    assert response.status_code == 302
    assert response.url == f"/risks/assessments/{in_progress.pk}/threats/"
    assert in_progress.situation.assessments.count() == 1


def test_the_page_offers_only_incidents_the_coordinator_may_see_from_the_last_year(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory()
    recent = IncidentFactory()
    old = IncidentFactory(occurred_on=timezone.localdate() - timedelta(days=400))
    named = IncidentFactory(visibility="named")

    response = sign_in(client, coordinator).get(url(situation))

    offered = set(response.context["form"].fields["linked_incidents"].queryset)
    assert response.status_code == 200
    assert offered == {recent}
    assert named.reference.encode() not in response.content
    assert old.reference.encode() not in response.content


def test_linking_an_incident_the_coordinator_may_not_see_is_refused(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory()
    named = IncidentFactory(visibility="named")

    response = sign_in(client, coordinator).post(
        url(situation), {"trigger": "after_incident", "linked_incidents": [named.pk]}
    )

    assert response.status_code == 200
    assert "linked_incidents" in response.context["form"].errors
    assert not Assessment.objects.exists()


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(situation), {"trigger": "whenever", "linked_incidents": [incident.pk]}
    )

    assert response.status_code == 200
    assert "trigger" in response.context["form"].errors
    assert f'name="linked_incidents" value="{incident.pk}" checked'.encode() in response.content
    assert not Assessment.objects.exists()


def test_a_missing_reason_is_explained(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).post(url(situation), {})

    assert response.context["form"].errors["trigger"] == ["This field is required."]
    assert not Assessment.objects.exists()


def test_staff_may_not_start_one(client: Client, staff: User) -> None:
    situation = RiskSituationFactory(participants=[staff])
    sign_in(client, staff)

    assert client.get(url(situation)).status_code == 403
    assert client.post(url(situation), {"trigger": "before"}).status_code == 403
    assert not Assessment.objects.exists()


def test_an_unknown_situation_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.post(UNKNOWN, {"trigger": "before"}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    situation = RiskSituationFactory()

    assert client.post(url(situation), {"trigger": "before"})["Location"] == "/login/"
    assert not Assessment.objects.exists()


def test_put_is_refused(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    assert sign_in(client, coordinator).put(url(situation)).status_code == 405
