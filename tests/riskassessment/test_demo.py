"""`seed_demo` fills the risk register with fictional situations that show every part of it.

The seed is slow (every app's demo data, with encryption and audit events): it runs once for the
class, and each test reads what it made."""

import re
from io import StringIO

from django.core.management import call_command
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from riskassessment import demo
from riskassessment.models import Assessment, RiskSituation
from riskassessment.scoring import Level
from riskassessment.selectors import (
    awaiting_approval,
    due_reasons,
    overdue_measures,
    register_of,
    situations_visible_to,
    with_due,
)
from safespaces.accounts.models import User

OUTREACH = "Thursday night outreach at the station"


class DemoRiskSituationsTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        out = StringIO()
        with override_settings(DEBUG=True):
            call_command("seed_demo", stdout=out)
        cls.output = out.getvalue()
        cls.coordinator = User.objects.get(username="demo-coordinator")
        cls.staff = User.objects.get(username="demo-staff")

    def register(self) -> dict[str, RiskSituation]:
        return {
            situation.title: situation
            for situation in with_due(register_of(self.coordinator), self.coordinator)
        }

    def test_it_adds_nine_situations_and_says_so(self) -> None:
        assert "Demo risk situations: 9, with assessments" in self.output
        assert len(self.register()) == 9
        assert Assessment.objects.count() == 10

    def test_the_outreach_risk_went_up_and_the_administrator_approved_it(self) -> None:
        outreach = self.register()[OUTREACH]

        assert (outreach.previous_residual_level, outreach.residual_level) == (
            Level.MODERATE,
            Level.HIGH,
        )
        latest = Assessment.objects.get(pk=outreach.latest_id)
        assert latest.approved_by.username == "demo-admin"
        assert latest.threats.filter(likelihood__gte=4, linked_incidents__isnull=False).exists()

    def test_one_decision_waits_for_the_coordinators_approval(self) -> None:
        waiting = [a.situation.title for a in awaiting_approval(self.coordinator)]

        assert waiting == ["Court accompaniment for Heron's hearing"]

    def test_two_situations_are_due_for_reassessment_for_different_reasons(self) -> None:
        register = self.register()

        assert due_reasons(register["Safe house operations"]) == [
            "A newer incident happened at its place."
        ]
        assert due_reasons(register["Online campaign: #NotForSale"]) == [
            "The decision's validity date has passed."
        ]
        assert [title for title, s in register.items() if s.is_due] == [
            "Safe house operations",
            "Online campaign: #NotForSale",
        ]

    def test_staff_and_the_coordinator_have_overdue_measures(self) -> None:
        owners = {measure.owner.username for measure in overdue_measures(self.coordinator)}

        assert owners == {"demo-staff", "demo-coordinator"}
        assert overdue_measures(self.staff).exists()

    def test_demo_staff_signs_in_and_opens_the_outreach_safety_plan(self) -> None:
        outreach = RiskSituation.objects.get(kind=RiskSituation.Kind.OUTREACH)
        assert situations_visible_to(self.staff).filter(pk=outreach.pk).exists()
        block = self.output.split("demo-staff", 1)[1]
        password = re.search(r"password:\s+(\S+)", block).group(1)
        code = re.search(r"backup codes:\s+(\S+)", block).group(1)
        client = Client()
        client.post("/login/", {"username": "demo-staff", "password": password})
        client.post("/login/verify/", {"code": code})

        response = client.get(reverse("riskassessment:plan", args=[outreach.pk]))

        assert response.status_code == 200
        assert outreach.check_in_when in response.content.decode()

    def test_seeding_again_adds_nothing(self) -> None:
        assert demo.seed(self.coordinator) == []
        assert RiskSituation.objects.count() == 9
