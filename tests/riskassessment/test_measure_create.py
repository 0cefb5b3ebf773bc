import html
import re
from typing import Any

from django.test import Client

from riskassessment.models import Measure, RiskSituation
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    EngagementFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    UserFactory,
    VulnerabilityFactory,
)

UNKNOWN = "/risks/00000000-0000-4000-8000-000000000000/measures/new/"


def url(situation: RiskSituation) -> str:
    return f"/risks/{situation.pk}/measures/new/"


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "kind": "reduce_vulnerability",
        "description": "Walk to the bus in pairs.",
        "due_on": "2030-06-01",
        "status": "planned",
    }
    return {**data, **changes}


def options(content: bytes, name: str) -> dict[str, str]:
    """The options of the select `name`: value to label."""
    select = re.search(rf'<select name="{name}".*?</select>', content.decode(), re.S)
    assert select is not None, f"no {name} select"
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(0)))


def test_a_coordinator_adds_a_measure_with_an_owner_and_an_ally(
    client: Client, coordinator: User, staff: User
) -> None:
    assessment = RiskAssessmentFactory()
    threat = RiskThreatFactory(assessment=assessment)
    vulnerability = VulnerabilityFactory(assessment=assessment)
    ally = ActorFactory()
    situation = assessment.situation

    response = sign_in(client, coordinator).post(
        url(situation),
        form_data(
            kind="mobilize_allies",
            owner=staff.pk,
            ally=ally.pk,
            threat=threat.pk,
            vulnerability=vulnerability.pk,
        ),
    )

    assert response["Location"] == f"/risks/{situation.pk}/"
    measure = Measure.objects.get()
    assert (measure.situation, measure.kind, measure.description) == (
        situation,
        "mobilize_allies",
        "Walk to the bus in pairs.",
    )
    assert (measure.owner, measure.ally, measure.threat, measure.vulnerability) == (
        staff,
        ally,
        threat,
        vulnerability,
    )
    assert (measure.due_on.isoformat(), measure.status, measure.created_by) == (
        "2030-06-01",
        "planned",
        coordinator,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "riskassessment.measure",
        str(measure.pk),
    )
    assert {"kind", "description", "owner", "ally", "due_on"} <= set(event.fields)


def test_a_measure_may_be_added_before_any_assessment(client: Client, administrator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, administrator).post(url(situation), form_data())

    assert response.status_code == 302
    measure = Measure.objects.get()
    assert (measure.owner, measure.threat, measure.ally) == (None, None, None)


def found(content: bytes, name: str) -> dict[str, str]:
    """What a picker `name` shows, chosen or found: value to label."""
    return dict(
        re.findall(rf'name="{name}" value="([^"]*)"[^>]*>([^<]*)</label>', content.decode())
    )


def test_only_allies_are_found_and_the_busy_ones_say_so(client: Client, coordinator: User) -> None:
    quiet = ActorFactory(name="Harbour Shelter")
    busy = ActorFactory(name="Night Clinic")
    EngagementFactory.create_batch(4, actor=busy)
    adversary = AdversaryFactory()
    neutral = ActorFactory(stance="neutral", trust=None, in_directory=False)
    archived = ActorFactory(archived=True, in_directory=False)
    situation = RiskSituationFactory()
    sign_in(client, coordinator)

    page = client.get(url(situation))
    sent = client.post(url(situation), form_data(find="ally"))
    picker = re.search(r'data-picker="([^"]+)" data-picker-name="ally"', page.content.decode())
    assert picker is not None
    searched = client.post(html.unescape(picker.group(1)), {"name": "ally", "q": ""})

    # The form lists no actor: "Find" shows the allies, as does the picker's search.
    assert page.status_code == sent.status_code == searched.status_code == 200
    assert found(page.content, "ally") == {"": "No ally"}
    assert found(sent.content, "ally") == {
        "": "No ally",
        str(quiet.pk): "Harbour Shelter",
        str(busy.pk): "Night Clinic (asked often lately)",
    }
    assert found(searched.content, "ally") == {
        str(quiet.pk): "Harbour Shelter",
        str(busy.pk): "Night Clinic (asked often lately)",
    }
    for response in (page, sent, searched):
        for other in (adversary, neutral, archived):
            assert str(other.pk) not in response.content.decode()


def test_an_adversary_cannot_be_named_as_the_ally(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).post(
        url(situation), form_data(ally=AdversaryFactory().pk)
    )

    assert response.status_code == 200
    assert "ally" in response.context["form"].errors
    assert not Measure.objects.exists()


def test_only_the_latest_assessments_threats_and_vulnerabilities_are_offered(
    client: Client, coordinator: User
) -> None:
    older = RiskAssessmentFactory(number=1, decision="go", rationale="Fine")
    latest = RiskAssessmentFactory(situation=older.situation, number=2)
    old_threat = RiskThreatFactory(assessment=older, description="Old threat")
    threat = RiskThreatFactory(assessment=latest, description="Current threat")
    elsewhere = RiskThreatFactory(description="Another situation's threat")
    vulnerability = VulnerabilityFactory(assessment=latest, description="Current gap")
    sign_in(client, coordinator)

    page = client.get(url(latest.situation))
    refused = [
        client.post(url(latest.situation), form_data(threat=other.pk))
        for other in (old_threat, elsewhere)
    ]

    assert options(page.content, "threat") == {
        "": "None in particular",
        str(threat.pk): "Current threat",
    }
    assert options(page.content, "vulnerability") == {
        "": "None in particular",
        str(vulnerability.pk): "Current gap",
    }
    assert all("threat" in response.context["form"].errors for response in refused)
    assert not Measure.objects.exists()


def test_the_owner_is_someone_in_the_team(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()
    outsider = UserFactory()  # an account with no role
    former = UserFactory(role=Role.STAFF, is_active=False)

    responses = [
        sign_in(client, coordinator).post(url(situation), form_data(owner=user.pk))
        for user in (outsider, former)
    ]

    assert all("owner" in response.context["form"].errors for response in responses)
    assert not Measure.objects.exists()


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User, staff: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).post(
        url(situation),
        form_data(description="", owner=staff.pk, due_on="2030-06-31", status="finished"),
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"description", "due_on", "status"}
    assert b'value="2030-06-31"' in response.content
    assert re.search(rf'name="owner" value="{staff.pk}" checked', response.content.decode())
    assert not Measure.objects.exists()


def test_staff_may_not_add_measures(client: Client, staff: User) -> None:
    situation = RiskSituationFactory(participants=[staff])
    sign_in(client, staff)

    assert client.get(url(situation)).status_code == 403
    assert client.post(url(situation), form_data(owner=staff.pk)).status_code == 403
    assert not Measure.objects.exists()


def test_an_unknown_situation_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.post(UNKNOWN, form_data()).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    situation = RiskSituationFactory()

    assert client.post(url(situation), form_data())["Location"] == "/login/"
    assert not Measure.objects.exists()


def test_put_is_refused(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).put(url(RiskSituationFactory())).status_code == 405
