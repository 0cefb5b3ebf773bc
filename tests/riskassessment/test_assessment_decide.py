from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from riskassessment.models import Alternative, Assessment
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import local, sign_in
from tests.factories import AlternativeFactory, RiskAssessmentFactory

UNKNOWN = "/risks/assessments/00000000-0000-4000-8000-000000000000/decision/"
CONFLICT = b"Someone else changed this assessment while you were editing."
APPROVAL_NOTICE = b'<p class="notice" role="note">The risk stays high after the measures:'
MUST_APPROVE = b"another coordinator or an administrator must approve it."


def url(assessment: Assessment) -> str:
    return f"/risks/assessments/{assessment.pk}/decision/"


def form_data(assessment: Assessment, *alternatives: dict[str, Any], **changes: Any) -> dict:
    """A decision with its alternatives, as the page sends it."""
    data: dict[str, Any] = {
        "version": assessment.version,
        "decision": "go_with_measures",
        "rationale": "Reaching them is the work; the measures bring it down.",
        "valid_until": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "alternatives-TOTAL_FORMS": len(alternatives),
        "alternatives-INITIAL_FORMS": sum(1 for row in alternatives if "id" in row),
        "alternatives-MIN_NUM_FORMS": 0,
        "alternatives-MAX_NUM_FORMS": 10,
    }
    for index, row in enumerate(alternatives):
        for name, value in row.items():
            data[f"alternatives-{index}-{name}"] = value
    return {**data, **changes}


def moderate() -> Assessment:
    """An assessment whose risk is moderate after the measures: no approval needed."""
    return RiskAssessmentFactory(residual_level=Level.MODERATE)


def test_a_coordinator_decides_with_the_ways_considered(client: Client, coordinator: User) -> None:
    assessment = moderate()

    with time_machine.travel(local(2030, 5, 4, 10, 0), tick=False):
        response = sign_in(client, coordinator).post(
            url(assessment),
            form_data(
                assessment,
                {"description": "Through the clinic's nurse.", "level": Level.LOW},
                {"description": "Only by phone.", "level": Level.MODERATE},
                valid_until="2030-08-01",
            ),
            follow=True,
        )

    assert response.redirect_chain == [(f"/risks/{assessment.situation_id}/", 302)]
    assert b"The decision is recorded." in response.content
    assert MUST_APPROVE not in response.content
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.decision, saved.rationale, saved.valid_until.isoformat()) == (
        "go_with_measures",
        "Reaching them is the work; the measures bring it down.",
        "2030-08-01",
    )
    assert (saved.decided_by, saved.decided_at, saved.version) == (
        coordinator,
        local(2030, 5, 4, 10, 0),
        2,
    )
    assert sorted((a.description, a.level) for a in saved.alternatives.all()) == [
        ("Only by phone.", Level.MODERATE),
        ("Through the clinic's nurse.", Level.LOW),
    ]
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).order_by("id")
    assert [event.fields for event in changes] == [
        ["decided_by", "decision", "rationale", "valid_until"],
        ["alternatives"],
    ]


def test_a_high_risk_after_the_measures_asks_for_approval(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory(residual_level=Level.HIGH)
    sign_in(client, coordinator)

    page = client.get(url(assessment))
    response = client.post(url(assessment), form_data(assessment), follow=True)

    assert APPROVAL_NOTICE in page.content
    assert MUST_APPROVE in response.content
    saved = Assessment.objects.get(pk=assessment.pk)
    assert saved.awaits_approval and saved.decided_by == coordinator


def test_postponing_a_high_risk_needs_no_approval(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory(residual_level=Level.HIGH)

    response = sign_in(client, coordinator).post(
        url(assessment), form_data(assessment, decision="postpone"), follow=True
    )

    assert b"The decision is recorded." in response.content
    assert MUST_APPROVE not in response.content
    assert not Assessment.objects.get(pk=assessment.pk).awaits_approval


def test_a_moderate_risk_shows_no_approval_notice(client: Client, administrator: User) -> None:
    assessment = moderate()

    page = sign_in(client, administrator).get(url(assessment))

    assert page.status_code == 200
    assert b"Is this risk worth the objective?" in page.content
    assert APPROVAL_NOTICE not in page.content


def test_the_page_weighs_the_risk_against_the_objective_and_the_look_is_audited(
    client: Client, coordinator: User
) -> None:
    assessment = moderate()
    AlternativeFactory(assessment=assessment)

    response = sign_in(client, coordinator).get(url(assessment))

    assert b"Reach women recruited at the station and offer them a way out." in response.content
    assert b"Risk is high mainly because the threat is strong" in response.content
    assert b"Reach the women through the clinic&#x27;s nurse instead." in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (coordinator, str(assessment.pk))


def test_decision_rationale_and_date_are_required_and_what_was_typed_stays(
    client: Client, coordinator: User
) -> None:
    assessment = moderate()

    response = sign_in(client, coordinator).post(
        url(assessment),
        form_data(
            assessment,
            {"description": "Go in daylight only.", "level": Level.LOW},
            decision="",
            rationale="",
            valid_until="",
        ),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert (
        errors["decision"]
        == errors["rationale"]
        == errors["valid_until"]
        == ["This field is required."]
    )
    assert b"Go in daylight only." in response.content
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.decision, saved.decided_by, saved.version) == ("", None, 1)
    assert not Alternative.objects.exists()


def test_a_date_in_the_past_is_refused(client: Client, coordinator: User) -> None:
    assessment = moderate()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    response = sign_in(client, coordinator).post(
        url(assessment), form_data(assessment, valid_until=yesterday)
    )

    assert response.context["form"].errors["valid_until"] == [
        "The date has passed: choose one in the future."
    ]
    assert f'value="{yesterday}"'.encode() in response.content
    assert Assessment.objects.get(pk=assessment.pk).decision == ""


def test_garbage_is_a_form_error(client: Client, coordinator: User) -> None:
    assessment = moderate()

    response = sign_in(client, coordinator).post(
        url(assessment),
        form_data(
            assessment,
            {"description": "Something else", "level": "extreme"},
            decision="maybe",
            valid_until="soon",
        ),
    )

    assert response.status_code == 200
    assert {"decision", "valid_until"} <= set(response.context["form"].errors)
    assert "level" in response.context["alternatives"].forms[0].errors
    assert Assessment.objects.get(pk=assessment.pk).decision == ""


def test_an_alternative_without_its_level_is_explained(client: Client, coordinator: User) -> None:
    assessment = moderate()

    response = sign_in(client, coordinator).post(
        url(assessment), form_data(assessment, {"description": "By phone"})
    )

    assert response.status_code == 200
    assert response.context["alternatives"].forms[0].errors["level"] == ["This field is required."]
    assert b"Some answers need a look" in response.content
    assert Assessment.objects.get(pk=assessment.pk).decision == ""


def test_a_stale_version_is_refused_and_keeps_the_decision_typed(
    client: Client, coordinator: User, administrator: User
) -> None:
    assessment = moderate()
    opened = form_data(
        assessment,
        {"description": "Through the clinic.", "level": Level.LOW},
        rationale="Worth it, with two of us.",
    )
    Assessment.objects.filter(pk=assessment.pk).update(version=2)  # someone re-rated meanwhile

    response = sign_in(client, coordinator).post(url(assessment), opened)

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"Worth it, with two of us." in response.content
    assert b"Through the clinic." in response.content
    assert b'name="version" value="2"' in response.content
    saved = Assessment.objects.get(pk=assessment.pk)
    assert (saved.decision, saved.decided_by, saved.version) == ("", None, 2)
    assert not Alternative.objects.exists()


def test_a_decided_or_older_version_is_not_decided_again(client: Client, coordinator: User) -> None:
    decided = RiskAssessmentFactory(decision="cancel", rationale="Too dangerous")
    older = RiskAssessmentFactory(number=1)
    RiskAssessmentFactory(situation=older.situation, number=2)
    sign_in(client, coordinator)

    for assessment in (decided, older):
        assert client.get(url(assessment)).status_code == 404
        assert client.post(url(assessment), form_data(assessment)).status_code == 404
    assert Assessment.objects.get(pk=decided.pk).decision == "cancel"
    assert Assessment.objects.get(pk=older.pk).decision == ""


def test_staff_may_not_decide(client: Client, staff: User) -> None:
    assessment = RiskAssessmentFactory(situation__participants=[staff])
    sign_in(client, staff)

    assert client.get(url(assessment)).status_code == 403
    assert client.post(url(assessment), form_data(assessment)).status_code == 403
    assert Assessment.objects.get(pk=assessment.pk).decision == ""


def test_an_unknown_assessment_is_not_found(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).get(UNKNOWN).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    assessment = RiskAssessmentFactory()

    assert client.post(url(assessment), form_data(assessment))["Location"] == "/login/"
    assert Assessment.objects.get(pk=assessment.pk).decision == ""


def test_put_is_refused(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    assert sign_in(client, coordinator).put(url(assessment)).status_code == 405


def test_an_unrated_assessment_cannot_be_decided(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory(
        threat=None, vulnerability=None, capacity=None, inherent_level=None, residual_level=None
    )

    response = sign_in(client, coordinator).post(url(assessment), form_data(assessment))

    assert response.status_code == 200
    assert b"Rate the risk before deciding" in response.content
    assert b"Reaching them is the work" in response.content
    assert Assessment.objects.get(pk=assessment.pk).decision == ""
