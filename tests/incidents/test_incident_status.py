import time_machine
from django.test import Client

from incidents.models import Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import local, sign_in
from tests.factories import IncidentFactory

UNKNOWN = "/incidents/00000000-0000-4000-8000-000000000000/status/"


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/status/"


def test_a_coordinator_moves_an_incident_along(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(url(incident), {"status": "under_review"})

    assert response["Location"] == f"/incidents/{incident.pk}/"
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.status, saved.version) == ("under_review", 2)
    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.old_value, entry.new_value, entry.author) == (
        "status",
        "new",
        "under_review",
        coordinator,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(incident.pk),
        ["status"],
    )


def test_the_change_shows_on_the_timeline_in_words(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(incident), {"status": "action_needed"}, follow=True
    )

    assert b"The status was changed." in response.content
    assert b"From New to Action needed." in response.content


def test_the_first_move_beyond_new_counts_as_the_first_review(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    sign_in(client, coordinator)

    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False):
        client.post(url(incident), {"status": "under_review"})
    with time_machine.travel(local(2026, 11, 22, 9, 0), tick=False):
        sign_in(client, coordinator).post(url(incident), {"status": "closed"})

    saved = Incident.objects.get(pk=incident.pk)
    assert saved.first_reviewed_at == local(2026, 11, 20, 9, 0)
    assert saved.status == "closed"


def test_choosing_the_same_status_again_writes_nothing(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(status="monitoring")

    response = sign_in(client, coordinator).post(url(incident), {"status": "monitoring"})

    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.status == "monitoring"
    assert saved.version == 1
    assert not TimelineEntry.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_an_edit_form_opened_before_the_change_sees_a_conflict(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    sign_in(client, staff)
    opened = client.get(f"/incidents/{incident.pk}/edit/")
    assert b'name="version" value="1"' in opened.content
    sign_in(Client(), coordinator).post(url(incident), {"status": "closed"})

    response = client.post(
        f"/incidents/{incident.pk}/edit/",
        {
            "kind": "threat",
            "occurred_on": incident.occurred_on.isoformat(),
            "summary": "Followed after outreach",
            "severity": "3",
            "visibility": "team",
            "version": "1",
        },
    )

    assert b"Someone else changed this incident" in response.content
    assert Incident.objects.get(pk=incident.pk).status == "closed"


def test_an_unknown_status_is_refused(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(incident), {"status": "forgotten"}, follow=True
    )

    assert b"Choose a status from the list." in response.content
    assert Incident.objects.get(pk=incident.pk).status == "new"
    assert not TimelineEntry.objects.exists()


def test_staff_may_not_change_the_status_of_an_incident_they_see(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)

    response = sign_in(client, staff).post(url(incident), {"status": "closed"})

    assert response.status_code == 403
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_staff_get_404_for_an_incident_they_may_not_see(client: Client, other_staff: User) -> None:
    incident = IncidentFactory(visibility="coordinators")

    response = sign_in(client, other_staff).post(url(incident), {"status": "closed"})

    assert response.status_code == 404
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_a_coordinator_not_named_on_a_named_incident_gets_404(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(visibility="named")

    response = sign_in(client, coordinator).post(url(incident), {"status": "closed"})

    assert response.status_code == 404
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_an_unknown_incident_is_404(client: Client, coordinator: User, staff: User) -> None:
    assert sign_in(client, coordinator).post(UNKNOWN, {"status": "closed"}).status_code == 404
    assert sign_in(Client(), staff).post(UNKNOWN, {"status": "closed"}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    incident = IncidentFactory()

    assert client.post(url(incident), {"status": "closed"})["Location"] == "/login/"
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_a_get_is_refused(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    assert sign_in(client, coordinator).get(url(incident)).status_code == 405
