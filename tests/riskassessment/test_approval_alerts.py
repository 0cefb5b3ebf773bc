"""A decision that needs a second pair of eyes tells those who may approve it, nobody else."""

import pytest

from riskassessment import services
from riskassessment.alerts import APPROVAL_WAITING
from riskassessment.models import Assessment
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Notification
from tests.factories import RiskAssessmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def decide(by: User, residual: Level, decision: str = "go_with_measures") -> Assessment:
    # The situation is one the decider made: no third coordinator comes with it.
    assessment = RiskAssessmentFactory(residual_level=residual, situation__created_by=by)
    assessment.decision = decision
    assessment.rationale = "The women need us there."
    return services.assessment_decide(
        assessment=assessment, seen_version=assessment.version, changed=["decision"], by=by
    )


def told() -> set[str]:
    return set(
        Notification.objects.filter(kind=APPROVAL_WAITING).values_list(
            "recipient__username", flat=True
        )
    )


def test_a_high_risk_decision_tells_the_other_coordinators_and_the_administrators(
    coordinator: User, administrator: User, staff: User
) -> None:
    other = UserFactory(role=Role.COORDINATOR)

    assessment = decide(coordinator, Level.HIGH)

    assert assessment.awaits_approval
    assert told() == {other.username, administrator.username}
    notification = Notification.objects.get(kind=APPROVAL_WAITING, recipient=other)
    assert notification.link == f"/risks/assessments/{assessment.pk}/"


def test_a_decision_that_needs_no_approval_tells_nobody(
    coordinator: User, administrator: User
) -> None:
    medium = decide(coordinator, Level.MODERATE)
    postponed = decide(coordinator, Level.CRITICAL, decision="postpone")

    assert (medium.decided_by, postponed.decided_by) == (coordinator, coordinator)
    assert not medium.awaits_approval and not postponed.awaits_approval
    assert told() == set()


def test_an_approval_answers_the_alert_for_everyone(coordinator: User, administrator: User) -> None:
    other = UserFactory(role=Role.COORDINATOR)
    assessment = decide(coordinator, Level.CRITICAL)
    unread = Notification.objects.filter(kind=APPROVAL_WAITING, read_at__isnull=True)
    assert set(unread.values_list("recipient", flat=True)) == {other.pk, administrator.pk}

    services.assessment_approve(assessment=assessment, by=other)

    assert Assessment.objects.get(pk=assessment.pk).approved_by == other
    assert Notification.objects.filter(kind=APPROVAL_WAITING).count() == 2
    assert unread.count() == 0
