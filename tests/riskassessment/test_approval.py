"""The four-eyes rule: a decision that leaves a high or critical risk after the measures needs
the approval of another coordinator or an administrator, never of the person who decided
(riskassessment.services.assessment_approve and POST /risks/assessments/<code>/approve/)."""

from collections.abc import Iterator

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from riskassessment import selectors, services
from riskassessment.models import Assessment
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import local, sign_in
from tests.factories import RiskAssessmentFactory, UserFactory

NOW = local(2026, 3, 15, 12, 0)


@pytest.fixture(autouse=True)
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other_coordinator(db: None) -> User:
    """Ines, a second coordinator: the second pair of eyes on Rosa's decisions."""
    return UserFactory(username="ines", display_name="Ines", role=Role.COORDINATOR)


def decided(by: User, residual: Level = Level.HIGH, **fields: object) -> Assessment:
    """An assessment decided by `by`, leaving `residual` risk after the measures."""
    return RiskAssessmentFactory(
        decision="go_with_measures",
        rationale="The women need us there.",
        decided_by=by,
        decided_at=NOW,
        residual_level=residual,
        **fields,
    )


def url(assessment: Assessment) -> str:
    return f"/risks/assessments/{assessment.pk}/approve/"


def unchanged(assessment: Assessment) -> bool:
    fresh = Assessment.objects.get(pk=assessment.pk)
    return (fresh.approved_by_id, fresh.approved_at, fresh.version) == (None, None, 1)


# --- The rule, in the service -------------------------------------------------------------------


@pytest.mark.parametrize("residual", [Level.HIGH, Level.CRITICAL])
def test_another_coordinator_approves_a_high_or_critical_residual_risk(
    coordinator: User, other_coordinator: User, residual: Level
) -> None:
    assessment = decided(coordinator, residual)
    assert assessment.needs_approval and assessment.awaits_approval

    approved = services.assessment_approve(assessment=assessment, by=other_coordinator)

    fresh = Assessment.objects.get(pk=assessment.pk)
    assert (fresh.approved_by, fresh.approved_at, fresh.version) == (other_coordinator, NOW, 2)
    assert approved.approved_by == other_coordinator
    assert not fresh.awaits_approval
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, object_id=str(assessment.pk))
    assert (event.actor, event.fields) == (other_coordinator, ["approved_by"])


def test_an_administrator_may_approve(coordinator: User, administrator: User) -> None:
    assessment = decided(coordinator)

    assert selectors.may_approve(assessment, administrator)
    services.assessment_approve(assessment=assessment, by=administrator)

    assert Assessment.objects.get(pk=assessment.pk).approved_by == administrator


def test_the_person_who_decided_may_not_approve(coordinator: User) -> None:
    assessment = decided(coordinator)

    assert not selectors.may_approve(assessment, coordinator)
    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=assessment, by=coordinator)
    assert unchanged(assessment)


def test_an_administrator_who_decided_may_not_approve_either(administrator: User) -> None:
    assessment = decided(administrator)

    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=assessment, by=administrator)
    assert unchanged(assessment)


def test_a_staff_member_may_not_approve(coordinator: User, staff: User) -> None:
    assessment = decided(coordinator)

    assert not selectors.may_approve(assessment, staff)
    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=assessment, by=staff)
    assert unchanged(assessment)


@pytest.mark.parametrize("residual", [Level.LOW, Level.MODERATE])
def test_a_low_or_moderate_residual_risk_needs_no_approval(
    coordinator: User, other_coordinator: User, residual: Level
) -> None:
    assessment = decided(coordinator, residual)

    assert not assessment.needs_approval
    assert not selectors.may_approve(assessment, other_coordinator)
    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=assessment, by=other_coordinator)
    assert unchanged(assessment)


@pytest.mark.parametrize("decision", ["postpone", "cancel"])
def test_not_going_ahead_with_a_high_risk_needs_no_approval(
    coordinator: User, other_coordinator: User, decision: str
) -> None:
    assessment = decided(coordinator, Level.CRITICAL)
    assessment.decision = decision

    assert not assessment.needs_approval
    assert not selectors.may_approve(assessment, other_coordinator)


def test_a_decision_overtaken_by_a_newer_one_can_no_longer_be_approved(
    coordinator: User, other_coordinator: User
) -> None:
    earlier = decided(coordinator, number=1)
    decided(coordinator, number=2, situation=earlier.situation)

    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=earlier, by=other_coordinator)
    assert unchanged(earlier)


def test_a_reassessment_in_progress_leaves_the_last_decision_to_approve(
    coordinator: User, other_coordinator: User
) -> None:
    earlier = decided(coordinator, number=1)
    RiskAssessmentFactory(situation=earlier.situation, number=2)  # started, not decided

    assert list(selectors.awaiting_approval(other_coordinator)) == [earlier]
    services.assessment_approve(assessment=earlier, by=other_coordinator)
    earlier.refresh_from_db()
    assert earlier.approved_by == other_coordinator


@pytest.mark.parametrize("third", ["decided", "in progress"])
def test_what_may_be_done_with_each_version_is_the_same_from_versions_already_read(
    coordinator: User, other_coordinator: User, third: str
) -> None:
    # A situation's page counts the versions after one from those it has read; asked alone, the
    # database counts them. Both give the same answers for every version.
    first = decided(coordinator, number=1)
    decided(coordinator, number=2, situation=first.situation)
    if third == "decided":
        decided(coordinator, number=3, situation=first.situation)
    else:
        RiskAssessmentFactory(situation=first.situation, number=3)
    versions = selectors.assessments_of(first.situation)

    for version in versions:
        read = selectors.assessment_access(other_coordinator, version, versions=versions)
        asked = selectors.assessment_access(other_coordinator, version)
        assert (read.may_edit, read.may_approve) == (asked.may_edit, asked.may_approve)
    newest, second = versions[0], versions[1]
    assert selectors.assessment_access(other_coordinator, newest, versions=versions).may_edit is (
        third == "in progress"
    )
    assert selectors.assessment_access(
        other_coordinator, second, versions=versions
    ).may_approve is (third == "in progress")


def test_an_undecided_assessment_cannot_be_approved(
    coordinator: User, other_coordinator: User
) -> None:
    assessment = RiskAssessmentFactory(residual_level=Level.CRITICAL)

    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=assessment, by=other_coordinator)
    assert unchanged(assessment)


def test_an_approval_is_given_once(
    coordinator: User, other_coordinator: User, administrator: User
) -> None:
    assessment = decided(coordinator)
    services.assessment_approve(assessment=assessment, by=other_coordinator)

    with pytest.raises(services.ApprovalRefused):
        services.assessment_approve(assessment=assessment, by=administrator)
    assert Assessment.objects.get(pk=assessment.pk).approved_by == other_coordinator


def test_deciding_again_clears_the_approval(coordinator: User, other_coordinator: User) -> None:
    assessment = decided(coordinator)
    services.assessment_approve(assessment=assessment, by=other_coordinator)
    assessment = Assessment.objects.get(pk=assessment.pk)
    assessment.decision = "go"

    services.assessment_decide(
        assessment=assessment,
        seen_version=assessment.version,
        changed=["decision"],
        by=other_coordinator,
    )

    fresh = Assessment.objects.get(pk=assessment.pk)
    assert (fresh.decision, fresh.decided_by) == ("go", other_coordinator)
    assert (fresh.approved_by, fresh.approved_at) == (None, None)
    assert fresh.awaits_approval
    # Now Ines decided: Rosa may approve, Ines may not.
    assert selectors.may_approve(fresh, coordinator)
    assert not selectors.may_approve(fresh, other_coordinator)


def test_the_database_refuses_an_approval_by_the_decider(coordinator: User) -> None:
    assessment = decided(coordinator)

    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(approved_by=coordinator)

    assert unchanged(assessment)


def test_the_database_accepts_an_approval_by_someone_else(
    coordinator: User, other_coordinator: User
) -> None:
    # The other half of the constraint: it is not refusing every approval.
    assessment = decided(coordinator)

    Assessment.objects.filter(pk=assessment.pk).update(approved_by=other_coordinator)

    assert Assessment.objects.get(pk=assessment.pk).approved_by == other_coordinator


# --- The approve button and its URL -------------------------------------------------------------


def test_another_coordinator_approves_from_the_situation_page(
    client: Client, coordinator: User, other_coordinator: User
) -> None:
    assessment = decided(coordinator)
    page = f"/risks/{assessment.situation_id}/"
    sign_in(client, other_coordinator)
    assert "Approve this decision" in client.get(page).content.decode()

    response = client.post(url(assessment))

    assert response.status_code == 302
    assert response["Location"] == page
    assert Assessment.objects.get(pk=assessment.pk).approved_by == other_coordinator
    assert "Approve this decision" not in client.get(page).content.decode()


def test_the_decider_is_not_offered_the_button_and_is_refused_with_403(
    client: Client, coordinator: User
) -> None:
    assessment = decided(coordinator)
    sign_in(client, coordinator)
    page = client.get(f"/risks/{assessment.situation_id}/").content.decode()
    assert "Waiting: the risk stays high after the measures" in page
    assert "Approve this decision" not in page

    response = client.post(url(assessment))

    assert response.status_code == 403
    assert unchanged(assessment)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_DENIED)
    assert (event.actor, event.object_id) == (coordinator, "riskassessment:approve")


def test_a_decision_that_needs_no_approval_is_refused_with_403(
    client: Client, coordinator: User, other_coordinator: User
) -> None:
    assessment = decided(coordinator, Level.MODERATE)

    response = sign_in(client, other_coordinator).post(url(assessment))

    assert response.status_code == 403
    assert unchanged(assessment)


def test_staff_get_404_unless_they_take_part_and_then_403(
    client: Client, coordinator: User, staff: User
) -> None:
    # Staff who may not see the situation get the answer of an unknown code: nothing about the
    # assessment is told. Those who take part know it (its plan says so) and get the role's 403.
    assessment = decided(coordinator)
    sign_in(client, staff)

    response = client.post(url(assessment))
    unknown = client.post("/risks/assessments/00000000-0000-4000-8000-000000000000/approve/")
    assessment.situation.participants.add(staff)
    taking_part = client.post(url(assessment))

    assert (response.status_code, unknown.status_code) == (404, 404)
    assert taking_part.status_code == 403
    assert unchanged(assessment)


def test_an_unknown_assessment_is_404(client: Client, other_coordinator: User) -> None:
    response = sign_in(client, other_coordinator).post(
        "/risks/assessments/00000000-0000-4000-8000-000000000000/approve/"
    )

    assert response.status_code == 404


def test_a_get_is_refused(client: Client, coordinator: User, other_coordinator: User) -> None:
    assessment = decided(coordinator)

    response = sign_in(client, other_coordinator).get(url(assessment))

    assert response.status_code == 405
    assert unchanged(assessment)


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, coordinator: User) -> None:
    assessment = decided(coordinator)

    response = client.post(url(assessment))

    assert response["Location"] == "/login/"
    assert unchanged(assessment)
