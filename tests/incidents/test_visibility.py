"""Who sees which incident: one selector decides, and every URL of an incident follows it."""

import pytest
from django.test import Client

from incidents.models import Incident, TimelineEntry
from incidents.selectors import incidents_visible_to
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import IncidentFactory, TimelineEntryFactory, UserFactory

# Who sees an incident of each visibility. Lin (staff) reported it and, if named, named Jo.
# Kai, whose account is inactive, reported nothing here and sees nothing.
SEES = {
    "team": {"administrator", "coordinator", "reporter", "named", "other staff"},
    "coordinators": {"administrator", "coordinator", "reporter"},
    "named": {"administrator", "reporter", "named"},
}


@pytest.fixture
def people(
    administrator: User,
    coordinator: User,
    staff: User,
    named_staff: User,
    other_staff: User,
    inactive: User,
) -> dict[str, User]:
    return {
        "administrator": administrator,
        "coordinator": coordinator,
        "reporter": staff,
        "named": named_staff,
        "other staff": other_staff,
        "inactive": inactive,
    }


def reported(visibility: str, reporter: User, named: User) -> Incident:
    incident = IncidentFactory(reporter=reporter, visibility=visibility)
    if visibility == "named":
        incident.shared_with.set([named])
    return incident


@pytest.mark.parametrize("visibility", list(SEES))
def test_the_selector_follows_the_visibility(visibility: str, people: dict[str, User]) -> None:
    incident = reported(visibility, people["reporter"], people["named"])

    seen_by = {name for name, user in people.items() if incident in incidents_visible_to(user)}

    # Users without a second factor hold a role but reach no incident page: the middleware sends
    # them to verification first (test_unverified_users_reach_no_incident).
    assert seen_by == SEES[visibility]


def test_an_inactive_account_sees_nothing(inactive: User) -> None:
    IncidentFactory(reporter=inactive)
    IncidentFactory()

    assert not incidents_visible_to(inactive).exists()


def test_a_user_without_a_role_sees_nothing(db: None) -> None:
    IncidentFactory()

    assert not incidents_visible_to(UserFactory()).exists()


def test_a_coordinator_sees_coordinator_incidents_of_everyone(
    coordinator: User, staff: User, other_staff: User
) -> None:
    mine = IncidentFactory(reporter=staff, visibility="coordinators")
    theirs = IncidentFactory(reporter=other_staff, visibility="coordinators")

    assert set(incidents_visible_to(coordinator)) == {mine, theirs}


def test_names_left_on_an_incident_that_is_not_named_give_no_access(
    staff: User, named_staff: User
) -> None:
    """The form drops the names when the visibility is not "named"; the selector does not rely
    on it (an import, the admin or a future form could leave them)."""
    incident = IncidentFactory(reporter=staff, visibility="coordinators")
    incident.shared_with.set([named_staff])

    assert incident not in incidents_visible_to(named_staff)


def test_each_incident_is_listed_once_however_many_are_named(
    staff: User, named_staff: User, other_staff: User
) -> None:
    incident = IncidentFactory(reporter=staff, visibility="named")
    incident.shared_with.set([named_staff, other_staff])

    assert list(incidents_visible_to(named_staff)) == [incident]
    assert list(incidents_visible_to(staff)) == [incident]


@pytest.mark.parametrize("visibility", list(SEES))
def test_the_detail_page_follows_the_visibility(visibility: str, people: dict[str, User]) -> None:
    incident = reported(visibility, people["reporter"], people["named"])

    codes = {
        name: sign_in(Client(), people[name]).get(f"/incidents/{incident.pk}/").status_code
        for name in ["administrator", "coordinator", "reporter", "named", "other staff"]
    }

    assert codes == {name: 200 if name in SEES[visibility] else 404 for name in codes}


def test_other_staff_get_404_on_every_url_of_a_coordinators_incident(
    client: Client, other_staff: User
) -> None:
    incident = IncidentFactory(visibility="coordinators")
    entry = TimelineEntryFactory(incident=incident)
    base = f"/incidents/{incident.pk}"
    sign_in(client, other_staff)

    got = {
        "detail": client.get(f"{base}/").status_code,
        "edit": client.get(f"{base}/edit/").status_code,
        "edit, sent": client.post(f"{base}/edit/", {"summary": "x"}).status_code,
        "entries": client.get(f"{base}/entries/new/").status_code,
        "entries, sent": client.post(
            f"{base}/entries/new/", {"kind": "note", "body": "x"}
        ).status_code,
        "correction": client.get(f"{base}/entries/{entry.pk}/correct/").status_code,
        "status": client.post(f"{base}/status/", {"status": "closed"}).status_code,
        "check-in": client.post(f"{base}/welfare/done/").status_code,
    }

    assert got == {name: 404 for name in got}
    assert TimelineEntry.objects.count() == 1
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_unverified_users_reach_no_incident(client: Client, unverified: User) -> None:
    incident = IncidentFactory()
    sign_in(client, unverified)

    for path in ["/incidents/", f"/incidents/{incident.pk}/", f"/incidents/{incident.pk}/edit/"]:
        response = client.get(path)
        assert response["Location"] == "/login/enrol/", path
        assert b"Followed after outreach" not in response.content


def edit(client: Client, incident: Incident, **changes: object) -> None:
    data = {
        "kind": incident.kind,
        "occurred_on": incident.occurred_on.isoformat(),
        "summary": incident.summary,
        "severity": str(incident.severity),
        "visibility": incident.visibility,
        "shared_with": [str(pk) for pk in incident.shared_with.values_list("pk", flat=True)],
        "version": str(incident.version),
    }
    response = client.post(f"/incidents/{incident.pk}/edit/", {**data, **changes})
    assert response.status_code == 302


def test_named_people_lose_access_when_it_becomes_coordinators_only(
    client: Client, staff: User, named_staff: User
) -> None:
    incident = reported("named", staff, named_staff)
    as_named = sign_in(Client(), named_staff)
    assert as_named.get(f"/incidents/{incident.pk}/").status_code == 200

    edit(sign_in(client, staff), incident, visibility="coordinators")

    assert as_named.get(f"/incidents/{incident.pk}/").status_code == 404
    assert not Incident.objects.get(pk=incident.pk).shared_with.exists()


def test_named_people_keep_access_when_it_opens_to_the_team(
    client: Client, staff: User, named_staff: User, other_staff: User
) -> None:
    incident = reported("named", staff, named_staff)

    edit(sign_in(client, staff), incident, visibility="team")

    assert sign_in(Client(), named_staff).get(f"/incidents/{incident.pk}/").status_code == 200
    assert sign_in(Client(), other_staff).get(f"/incidents/{incident.pk}/").status_code == 200
    assert not Incident.objects.get(pk=incident.pk).shared_with.exists()


def test_named_people_do_not_keep_access_after_it_goes_back_to_named(
    client: Client, staff: User, named_staff: User, other_staff: User
) -> None:
    incident = reported("named", staff, named_staff)
    sign_in(client, staff)
    edit(client, incident, visibility="team")
    incident.refresh_from_db()

    edit(client, incident, visibility="named", shared_with=[str(other_staff.pk)])

    assert sign_in(Client(), named_staff).get(f"/incidents/{incident.pk}/").status_code == 404
    assert sign_in(Client(), other_staff).get(f"/incidents/{incident.pk}/").status_code == 200


def test_the_reporter_keeps_access_to_what_they_restricted(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)

    edit(sign_in(client, staff), incident, visibility="named")

    assert client.get(f"/incidents/{incident.pk}/").status_code == 200
