"""A check-in asked for or a serious incident, when logged or by a later edit: the coordinators
who may see it are told at once."""

import pytest
import time_machine

from incidents.alerts import SERIOUS_LOGGED, WELFARE_ASKED
from incidents.models import Incident
from incidents.services import incident_report, incident_update, welfare_done
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Notification
from tests.conftest import local
from tests.factories import IncidentFactory, UserFactory

pytestmark = pytest.mark.django_db

EDITED = local(2026, 4, 7, 18, 30)


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


# --- Edits after logging ------------------------------------------------------------------------


def edit(incident: Incident, by: User, **changes: object) -> Incident:
    """Save an edit of `incident` as the edit form does, from the row as it is now."""
    current = Incident.objects.get(pk=incident.pk)
    for name, value in changes.items():
        setattr(current, name, value)
    with time_machine.travel(EDITED, tick=False):
        return incident_update(
            incident=current,
            seen_version=current.version,
            affected_people=[],
            shared_with=current.shared_with.all(),
            changed=list(changes),
            by=by,
        )


def test_an_edit_that_asks_for_a_check_in_tells_the_coordinators_but_not_the_editor(
    staff: User, coordinator: User, administrator: User
) -> None:
    incident = report(staff, severity=2)
    assert told(WELFARE_ASKED) == set()

    edit(incident, coordinator, welfare_follow_up=True)

    assert Incident.objects.get(pk=incident.pk).welfare_pending
    assert told(WELFARE_ASKED) == {administrator.username}
    notification = Notification.objects.get(kind=WELFARE_ASKED)
    assert (notification.link, notification.created_at) == (f"/incidents/{incident.pk}/", EDITED)
    assert told(SERIOUS_LOGGED) == set()


def test_an_edit_that_makes_an_incident_serious_tells_the_coordinators(
    staff: User, coordinator: User, administrator: User
) -> None:
    incident = report(staff, severity=3)

    edit(incident, staff, severity=4)

    assert told(SERIOUS_LOGGED) == {coordinator.username, administrator.username}
    assert told(WELFARE_ASKED) == set()


def test_an_edit_that_keeps_what_was_already_alerted_tells_nobody_again(
    staff: User, coordinator: User, administrator: User
) -> None:
    incident = report(staff, severity=4, welfare_follow_up=True)
    assert Notification.objects.count() == 4

    # Still serious, still asking for a check-in: nothing new to hear.
    edit(incident, staff, severity=5, summary="Followed again the next night")

    assert Incident.objects.get(pk=incident.pk).severity == 5
    assert told(SERIOUS_LOGGED) == {coordinator.username, administrator.username}
    assert Notification.objects.count() == 4


def test_an_edit_of_an_incident_shared_with_named_people_alerts_only_those_who_may_see_it(
    staff: User, coordinator: User, administrator: User
) -> None:
    named = UserFactory(role=Role.COORDINATOR)
    incident = report(staff, severity=1, visibility="named", shared_with=[named])

    edit(incident, staff, severity=5, welfare_follow_up=True)

    assert told(SERIOUS_LOGGED) == {named.username, administrator.username}
    assert told(WELFARE_ASKED) == {named.username, administrator.username}


def test_an_edit_does_not_ask_again_for_a_check_in_already_made(
    staff: User, coordinator: User, administrator: User
) -> None:
    incident = report(staff, severity=2, welfare_follow_up=True)
    welfare_done(incident=incident, by=coordinator)
    edit(incident, staff, welfare_follow_up=False)

    edit(incident, staff, welfare_follow_up=True)

    # The check-ins list has nothing waiting either: the app knows of no new request.
    assert not Incident.objects.get(pk=incident.pk).welfare_pending
    assert told(WELFARE_ASKED) == {coordinator.username, administrator.username}
    assert Notification.objects.filter(kind=WELFARE_ASKED).count() == 2
