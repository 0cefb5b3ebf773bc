"""A coordinator takes a situation from nothing to a decided, approved assessment with measures,
through the pages, as a user would."""

from django.test import Client
from django.urls import reverse

from riskassessment.models import Assessment, RiskSituation
from riskassessment.scoring import Level
from safespaces.accounts.roles import Role
from tests.conftest import sign_in
from tests.factories import UserFactory


def test_a_coordinator_assesses_decides_and_another_approves(coordinator, client: Client) -> None:
    sign_in(client, coordinator)
    response = client.post(
        reverse("riskassessment:create"),
        {
            "kind": "outreach",
            "title": "Night outreach",
            "objective": "Reach women",
            "review_every_months": 6,
            "check_in_grace_minutes": 10,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    situation = RiskSituation.objects.get()
    response = client.post(
        reverse("riskassessment:assessment_start", args=[situation.pk]), {"trigger": "before"}
    )
    assessment = Assessment.objects.get()
    assert response.url == reverse("riskassessment:threats", args=[assessment.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    data = {
        "version": assessment.version,
        "threats-TOTAL_FORMS": 1,
        "threats-INITIAL_FORMS": 0,
        "threats-0-description": "Recruiters follow us",
        "threats-0-likelihood": 5,
        "threats-0-impact": 4,
        "threats-0-factors": ["gender"],
    }
    response = client.post(reverse("riskassessment:threats", args=[assessment.pk]), data)
    assert response.status_code == 302, response.content.decode()[:5000]
    assessment.refresh_from_db()
    assert assessment.threats.get().description == "Recruiters follow us"
    response = client.post(
        reverse("riskassessment:ratings", args=[assessment.pk]),
        {
            "version": assessment.version,
            "threat": 5,
            "vulnerability": 4,
            "capacity": 2,
            "residual_threat": 4,
            "residual_vulnerability": 3,
            "residual_capacity": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:5000]
    assessment.refresh_from_db()
    assert assessment.inherent_level == Level.CRITICAL
    assert assessment.residual_level == Level.CRITICAL  # the threat stays 5 x 4 = 20
    page = client.get(reverse("riskassessment:decide", args=[assessment.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("riskassessment:decide", args=[assessment.pk]),
        {
            "version": assessment.version,
            "decision": "go_with_measures",
            "rationale": "Worth it",
            "valid_until": "2099-01-01",
            "alternatives-TOTAL_FORMS": 1,
            "alternatives-INITIAL_FORMS": 0,
            "alternatives-0-description": "Through the clinic",
            "alternatives-0-level": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:5000]
    detail = client.get(reverse("riskassessment:detail", args=[situation.pk]))
    assert detail.status_code == 200
    assert "Waiting" in detail.content.decode()
    other = UserFactory(role=Role.COORDINATOR)
    other_client = sign_in(Client(), other)
    response = other_client.post(reverse("riskassessment:approve", args=[assessment.pk]))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.approved_by == other
    plan = client.get(reverse("riskassessment:plan", args=[situation.pk]))
    assert plan.status_code == 200
    register = client.get(reverse("riskassessment:register"))
    assert "Night outreach" in register.content.decode()
    home = client.get(reverse("home"))
    assert "Risks and measures" in home.content.decode()
