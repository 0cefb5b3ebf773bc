"""The incidents a risk record links are found by typing, never listed: a year of incidents
may be thousands, each with a summary to decrypt. The pages show the incidents linked and
decrypt no other summary, run as many queries however many incidents there are, and a plain
"Find" (without JavaScript) shows the matches; the search view finds by reference, date or
category among the incidents one may link, for coordinators."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from riskassessment.models import Assessment
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    IncidentFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
)
from tests.picking import opened_on, queries_on, values
from tests.riskassessment.test_assessment_items import url as threats_url
from tests.riskassessment.test_assessment_rate import url as rate_url
from tests.riskassessment.test_assessment_start import url as start_url

pytestmark = pytest.mark.django_db

PICK = "/incidents/pick/"


def linked_assessment() -> tuple[Assessment, object]:
    """An open assessment whose ratings and one threat link one incident."""
    linked = IncidentFactory(summary="Car at the gate")
    assessment = RiskAssessmentFactory()
    assessment.linked_incidents.set([linked])
    RiskThreatFactory(assessment=assessment).linked_incidents.set([linked])
    return assessment, linked


@pytest.mark.parametrize("page", ["threats", "ratings"])
def test_a_page_shows_the_incidents_linked_and_decrypts_no_other_summary(
    client: Client, coordinator: User, page: str
) -> None:
    assessment, linked = linked_assessment()
    other = IncidentFactory(summary="Messages from an unknown number")
    name = "threats-0-linked_incidents" if page == "threats" else "linked_incidents"
    sign_in(client, coordinator)

    response, opened = opened_on(
        client, threats_url(assessment) if page == "threats" else rate_url(assessment)
    )

    assert response.status_code == 200
    text = response.content.decode()
    assert values(text, name) == [str(linked.pk)]  # type: ignore[attr-defined]
    assert "Car at the gate" in text
    assert "Messages from an unknown number" not in text and str(other.pk) not in text
    assert opened["incidents.Incident.summary"] == 1


@pytest.mark.parametrize("page", ["threats", "ratings", "start"])
def test_a_page_runs_as_many_queries_however_many_incidents_there_are(
    client: Client, coordinator: User, page: str
) -> None:
    assessment, _linked = linked_assessment()
    urls = {
        "threats": threats_url(assessment),
        "ratings": rate_url(assessment),
        "start": start_url(RiskSituationFactory()),
    }
    sign_in(client, coordinator)

    before, after = queries_on(client, urls[page], lambda: IncidentFactory.create_batch(25))

    assert before == after


def test_find_without_javascript_shows_the_matches_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    wanted = IncidentFactory(category="surveillance", summary="Car at the gate")
    other = IncidentFactory(category="other", summary="Messages from an unknown number")
    situation = RiskSituationFactory()
    sign_in(client, coordinator)

    response = client.post(
        start_url(situation),
        {
            "trigger": "new_incident",
            "linked_incidents_find": "surveillance",
            "find": "linked_incidents",
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "linked_incidents") == [str(wanted.pk)]
    assert "Car at the gate" in page and str(other.pk) not in page
    assert "This field is required" not in page
    assert not situation.assessments.exists()


def test_the_search_finds_by_reference_or_date_among_the_incidents_one_may_link(
    client: Client, coordinator: User
) -> None:
    recent = IncidentFactory(summary="Car at the gate")
    hidden = IncidentFactory(visibility="named", summary="Call to her sister")
    too_old = IncidentFactory(occurred_on=timezone.localdate() - timedelta(days=400))
    sign_in(client, coordinator)
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    by_reference = client.post(PICK, {"name": "incidents", "q": recent.reference.lower()})
    by_date = client.post(PICK, {"name": "incidents", "q": recent.occurred_on.isoformat()})
    everything = client.post(PICK, {"name": "incidents", "q": ""})

    assert values(by_reference.content.decode(), "incidents") == [str(recent.pk)]
    assert str(recent.pk) in values(by_date.content.decode(), "incidents")
    assert "Car at the gate" in by_reference.content.decode()
    found = values(everything.content.decode(), "incidents")
    assert str(recent.pk) in found
    assert str(hidden.pk) not in found and str(too_old.pk) not in found
    event = AuditEvent.objects.filter(id__gt=before).order_by("id").first()
    assert event is not None and event.shown == [f"incidents.incident:{recent.pk}"]


def test_staff_may_not_search_incidents_to_link(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post(PICK, {"name": "incidents", "q": ""})

    assert response.status_code == 403
