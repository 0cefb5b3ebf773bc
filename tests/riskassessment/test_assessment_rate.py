from typing import Any

from django.test import Client

from riskassessment.models import Assessment
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import IncidentFactory, RiskAssessmentFactory, RiskThreatFactory

UNKNOWN = "/risks/assessments/00000000-0000-4000-8000-000000000000/ratings/"
CONFLICT = b"Someone else changed this assessment while you were editing."
ALL_OR_NONE = "Rate all three, or none of them."


def url(assessment: Assessment) -> str:
    return f"/risks/assessments/{assessment.pk}/ratings/"


def form_data(assessment: Assessment, **changes: Any) -> dict[str, Any]:
    """The ratings page as it comes back when saved without changes."""
    data = {
        "version": assessment.version,
        "threat": assessment.threat,
        "vulnerability": assessment.vulnerability,
        "capacity": assessment.capacity,
        "residual_threat": assessment.residual_threat,
        "residual_vulnerability": assessment.residual_vulnerability,
        "residual_capacity": assessment.residual_capacity,
        "lens_notes": assessment.lens_notes,
    }
    data = {name: value for name, value in data.items() if value not in (None, "")}
    return {**data, **changes}


def unrated() -> Assessment:
    return RiskAssessmentFactory(
        threat=None, vulnerability=None, capacity=None, inherent_level=None, residual_level=None
    )


def test_a_coordinator_rates_before_and_after_the_measures_and_goes_on_to_decide(
    client: Client, coordinator: User
) -> None:
    assessment = unrated()
    RiskThreatFactory(assessment=assessment, likelihood=2, impact=2)  # low
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment),
        form_data(
            assessment,
            threat=5,
            vulnerability=4,
            capacity=2,
            residual_threat=2,
            residual_vulnerability=2,
            residual_capacity=4,
            lens_notes="Trans women are stopped more often.",
            linked_incidents=[incident.pk],
        ),
    )

    assert response["Location"] == f"/risks/assessments/{assessment.pk}/decision/"
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.threat, saved.vulnerability, saved.capacity) == (5, 4, 2)
    assert (saved.residual_threat, saved.residual_vulnerability, saved.residual_capacity) == (
        2,
        2,
        4,
    )
    assert (saved.lens_notes, list(saved.linked_incidents.all())) == (
        "Trans women are stopped more often.",
        [incident],
    )
    # R = 5 x 4 / 2 = 10, critical; after the measures 2 x 2 / 4 = 1, low.
    assert (saved.inherent_level, saved.residual_level) == (Level.CRITICAL, Level.LOW)
    assert saved.version == 2
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.actor == coordinator
    assert set(event.fields) >= {"threat", "residual_capacity", "lens_notes", "linked_incidents"}


def test_the_stored_levels_are_the_worse_of_the_index_and_the_worst_threat(
    client: Client, coordinator: User
) -> None:
    assessment = unrated()
    # Threats: 4 x 4 = 16, high; 3 x 3 = 9, medium. The worst threat is high.
    RiskThreatFactory(assessment=assessment, likelihood=4, impact=4, residual_likelihood=1)
    RiskThreatFactory(assessment=assessment, likelihood=3, impact=3, residual_impact=2)
    sign_in(client, coordinator)
    cases = [
        ((1, 1, 5), Level.HIGH),  # R = 1 x 1 / 5 = 0.2, low: the high threat counts
        ((2, 1, 1), Level.HIGH),  # R = 2 x 1 / 1 = 2, moderate: the high threat counts
        ((3, 3, 2), Level.HIGH),  # R = 3 x 3 / 2 = 4.5, moderate: the high threat counts
        ((5, 5, 1), Level.CRITICAL),  # R = 5 x 5 / 1 = 25, critical: above the worst threat
    ]

    for (threat, vulnerability, capacity), expected in cases:
        assessment.refresh_from_db()
        response = client.post(
            url(assessment),
            form_data(assessment, threat=threat, vulnerability=vulnerability, capacity=capacity),
        )
        assert response.status_code == 302, (threat, vulnerability, capacity)
        saved = Assessment.objects.get(pk=assessment.pk)
        assert saved.inherent_level == expected, (threat, vulnerability, capacity)
        # Neither the index nor a threat is re-rated in full: as before the measures.
        assert saved.residual_level == expected


def test_the_levels_count_the_worst_threat_when_the_index_is_lower(
    client: Client, coordinator: User
) -> None:
    assessment = unrated()
    RiskThreatFactory(assessment=assessment, likelihood=5, impact=5)

    sign_in(client, coordinator).post(
        url(assessment), form_data(assessment, threat=1, vulnerability=1, capacity=5)
    )

    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.inherent_level, saved.residual_level) == (Level.CRITICAL, Level.CRITICAL)


def test_ratings_may_all_be_left_out(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()
    data = form_data(assessment)
    for name in ("threat", "vulnerability", "capacity"):
        data[name] = ""

    response = sign_in(client, coordinator).post(url(assessment), data)

    assert response.status_code == 302
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.threat, saved.inherent_level) == (None, None)


def test_two_ratings_out_of_three_are_refused_and_keep_what_was_typed(
    client: Client, coordinator: User
) -> None:
    assessment = unrated()

    response = sign_in(client, coordinator).post(
        url(assessment),
        form_data(
            assessment,
            threat=4,
            vulnerability=3,
            residual_capacity=2,
            lens_notes="Older women are more exposed.",
        ),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["capacity"] == [ALL_OR_NONE]
    assert errors["residual_threat"] == errors["residual_vulnerability"] == [ALL_OR_NONE]
    assert "threat" not in errors and "residual_capacity" not in errors
    assert b"Older women are more exposed." in response.content
    assert b'name="threat" value="4" id="id_threat_4" checked' in response.content
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.threat, saved.version) == (None, 1)


def test_garbage_in_a_rating_is_a_form_error(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment),
        form_data(assessment, threat="9", vulnerability="high", capacity="0", version="x"),
    )

    assert response.status_code == 200
    assert {"threat", "vulnerability", "capacity", "version"} <= set(
        response.context["form"].errors
    )
    assert Assessment.objects.get(pk=assessment.pk).version == 1


def test_the_page_shows_the_lists_beside_the_ratings_and_the_look_is_audited(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    RiskThreatFactory(assessment=assessment)

    response = sign_in(client, coordinator).get(url(assessment))

    assert b"The recruiter&#x27;s men follow outreach workers home." in response.content
    assert b"(3 \xc3\x97 4 = 12)" in response.content
    assert b'name="capacity" value="2" id="id_capacity_2" checked' in response.content
    assert b'name="version" value="1"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (coordinator, str(assessment.pk))


def test_a_stale_version_is_refused_and_keeps_the_editors_ratings(
    client: Client, coordinator: User, administrator: User
) -> None:
    assessment = RiskAssessmentFactory()
    opened = form_data(assessment)
    sign_in(Client(), administrator).post(url(assessment), form_data(assessment, capacity=5))

    response = sign_in(client, coordinator).post(
        url(assessment), {**opened, "threat": 5, "lens_notes": "Mine."}
    )

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"Mine." in response.content
    assert b'name="threat" value="5" id="id_threat_5" checked' in response.content
    assert b'name="version" value="2"' in response.content
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.threat, saved.capacity, saved.version) == (4, 5, 2)


def test_a_link_to_an_incident_the_coordinator_may_not_see_stays_unseen(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    hidden = IncidentFactory(visibility="named")
    assessment.linked_incidents.set([hidden])
    sign_in(client, coordinator)

    page = client.get(url(assessment))
    saved_response = client.post(url(assessment), form_data(assessment, capacity=3))

    assert page.status_code == 200
    assert b"<h1>Rate the risk</h1>" in page.content
    assert hidden.reference.encode() not in page.content
    assert saved_response.status_code == 302
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.capacity, list(saved.linked_incidents.all())) == (3, [hidden])


def test_a_decided_or_older_version_is_not_rated_again(client: Client, coordinator: User) -> None:
    decided = RiskAssessmentFactory(decision="go", rationale="Fine")
    older = RiskAssessmentFactory(number=1)
    RiskAssessmentFactory(situation=older.situation, number=2)
    sign_in(client, coordinator)

    for assessment in (decided, older):
        assert client.get(url(assessment)).status_code == 404
        assert client.post(url(assessment), form_data(assessment, threat=1)).status_code == 404
        assert Assessment.objects.get(pk=assessment.pk).threat == 4


def test_staff_may_not_rate(client: Client, staff: User) -> None:
    assessment = RiskAssessmentFactory(situation__participants=[staff])
    sign_in(client, staff)

    assert client.get(url(assessment)).status_code == 403
    assert client.post(url(assessment), form_data(assessment, threat=1)).status_code == 403
    assert Assessment.objects.get(pk=assessment.pk).threat == 4


def test_an_unknown_assessment_is_not_found(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).get(UNKNOWN).status_code == 404


def test_put_is_refused(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    assert sign_in(client, coordinator).put(url(assessment)).status_code == 405
