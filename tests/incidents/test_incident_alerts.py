"""A check-in asked for or a serious incident: the coordinators who may see it are told at once."""

import pytest

from incidents.alerts import SERIOUS_LOGGED, WELFARE_ASKED
from incidents.models import Incident
from incidents.services import incident_report, welfare_done
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Notification
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db


def report(by: User, *, shared_with: list[User] | None = None, **values: object) -> Incident:
    incident = IncidentFactory.build(reporter=by, **values)
    return incident_report(
        incident=incident, affected_people=[], shared_with=shared_with or [], by=by
    )


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_a_check_in_asked_for_reaches_every_coordinator_and_administrator(
    staff: User, other_staff: User, coordinator: User, administrator: User
) -> None:
    incident = report(staff, welfare_follow_up=True, severity=2)

    assert told(WELFARE_ASKED) == {coordinator.username, administrator.username}
    notification = Notification.objects.get(kind=WELFARE_ASKED, recipient=coordinator)
    assert notification.link == f"/incidents/{incident.pk}/"
    assert told(SERIOUS_LOGGED) == set()


def test_a_serious_incident_reaches_the_coordinators_but_not_a_coordinator_who_reported_it(
    coordinator: User, administrator: User
) -> None:
    second = UserFactory(role=Role.COORDINATOR)

    report(coordinator, severity=4)

    assert told(SERIOUS_LOGGED) == {second.username, administrator.username}


def test_an_incident_shared_with_named_people_alerts_only_those_who_may_see_it(
    staff: User, coordinator: User, administrator: User
) -> None:
    named = UserFactory(role=Role.COORDINATOR)

    report(staff, severity=5, welfare_follow_up=True, visibility="named", shared_with=[named])

    # The coordinator who was not named does not learn that the incident exists.
    assert told(SERIOUS_LOGGED) == {named.username, administrator.username}
    assert told(WELFARE_ASKED) == {named.username, administrator.username}
    assert coordinator.username not in told(WELFARE_ASKED)


def test_an_ordinary_incident_tells_nobody(staff: User, coordinator: User) -> None:
    incident = report(staff, severity=3)

    assert Incident.objects.filter(pk=incident.pk).exists()
    assert Notification.objects.filter(kind__in=[WELFARE_ASKED, SERIOUS_LOGGED]).count() == 0


def test_a_check_in_made_answers_every_coordinators_alert(
    staff: User, coordinator: User, administrator: User
) -> None:
    incident = report(staff, welfare_follow_up=True, severity=2)
    unread = Notification.objects.filter(kind=WELFARE_ASKED, read_at__isnull=True)
    assert unread.count() == 2

    welfare_done(incident=incident, by=coordinator)

    assert Notification.objects.filter(kind=WELFARE_ASKED).count() == 2
    assert unread.count() == 0
