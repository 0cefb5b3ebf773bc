"""A threat assessed as likely or imminent: the coordinators who may see the incident are told at
once, not the assessor, and only when the conclusion rises to it."""

import pytest
import time_machine
from django.test import Client

from incidents.alerts import THREAT_LIKELY
from incidents.models import Incident, ThreatAssessment
from incidents.services import assessment_save
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Notification
from tests.conftest import local, sign_in
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

ASSESSED = local(2026, 4, 8, 10, 15)


def assess(incident: Incident, by: User, conclusion: str) -> ThreatAssessment:
    """A first assessment of the incident's threat, or an edit of the one there is."""
    assessment = ThreatAssessment.objects.filter(incident=incident).first()
    if assessment is None:
        assessment = ThreatAssessment(incident=incident, facts="A car waited outside twice.")
    seen = None if assessment._state.adding else assessment.version
    assessment.conclusion = conclusion
    with time_machine.travel(ASSESSED, tick=False):
        return assessment_save(
            assessment=assessment, seen_version=seen, linked=[], changed=["conclusion"], by=by
        )


def told() -> list[str]:
    """Who was told, once per notification."""
    rows = Notification.objects.filter(kind=THREAT_LIKELY).order_by("recipient__username")
    return list(rows.values_list("recipient__username", flat=True))


@pytest.fixture
def second(db: None) -> User:
    """Dani, a second coordinator, who hears of what Rosa assesses."""
    return UserFactory(username="dani", role=Role.COORDINATOR)


@pytest.mark.parametrize("conclusion", ["likely", "imminent"])
def test_a_likely_or_imminent_threat_tells_the_other_coordinators_not_the_assessor(
    conclusion: str, staff: User, coordinator: User, second: User, administrator: User
) -> None:
    incident = IncidentFactory(reporter=staff)

    assess(incident, coordinator, conclusion)

    assert told() == [administrator.username, second.username]
    notification = Notification.objects.get(kind=THREAT_LIKELY, recipient=second)
    assert (notification.link, notification.created_at) == (f"/incidents/{incident.pk}/", ASSESSED)
    assert staff.username not in told()


@pytest.mark.parametrize("conclusion", ["unlikely", "possible"])
def test_an_unlikely_or_possible_threat_tells_nobody(
    conclusion: str, coordinator: User, second: User
) -> None:
    incident = IncidentFactory()

    assess(incident, coordinator, conclusion)

    assert ThreatAssessment.objects.get(incident=incident).conclusion == conclusion
    assert told() == []


def test_saving_the_same_conclusion_again_tells_nobody_again(
    coordinator: User, second: User
) -> None:
    incident = IncidentFactory()
    assess(incident, coordinator, "likely")

    assess(incident, coordinator, "likely")

    assert ThreatAssessment.objects.get(incident=incident).version == 2
    assert told() == [second.username]


def test_a_conclusion_raised_to_likely_then_imminent_tells_each_time_and_lowered_does_not(
    coordinator: User, second: User
) -> None:
    incident = IncidentFactory()
    assess(incident, coordinator, "possible")
    assert told() == []

    assess(incident, coordinator, "likely")
    assert told() == [second.username]
    assess(incident, coordinator, "imminent")
    assert told() == [second.username, second.username]
    assess(incident, coordinator, "likely")

    assert ThreatAssessment.objects.get(incident=incident).conclusion == "likely"
    assert told() == [second.username, second.username]


def test_only_the_coordinators_who_may_see_the_incident_are_told(
    staff: User, coordinator: User, second: User, administrator: User
) -> None:
    incident = IncidentFactory(reporter=staff, visibility="named")
    incident.shared_with.set([second])

    assess(incident, administrator, "imminent")

    # Rosa was not named: she does not learn that the incident exists.
    assert told() == [second.username]


def test_the_assessment_form_raises_the_alert(
    client: Client, coordinator: User, second: User
) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        f"/incidents/{incident.pk}/assessment/",
        {"facts": "A car waited outside the shelter two nights running.", "conclusion": "likely"},
    )

    assert response.status_code == 302
    assert told() == [second.username]
