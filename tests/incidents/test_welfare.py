import time_machine
from django.test import Client

from incidents.alerts import WELFARE_DONE
from incidents.models import EntryKind, Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.notifications.models import Notification
from tests.conftest import local, sign_in
from tests.factories import IncidentFactory, UserFactory

URL = "/incidents/welfare/"


def done_url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/welfare/done/"


def test_coordinators_see_who_asked_for_a_check_in_oldest_first(
    client: Client, coordinator: User
) -> None:
    with time_machine.travel(local(2026, 11, 18, 9, 0), tick=False):
        older = IncidentFactory(
            welfare_follow_up=True, reporter=UserFactory(display_name="Dilnoza")
        )
    with time_machine.travel(local(2026, 11, 19, 9, 0), tick=False):
        newer = IncidentFactory(welfare_follow_up=True, reporter=UserFactory(display_name="Efua"))
    IncidentFactory(welfare_follow_up=False, reporter=UserFactory(display_name="Farida"))

    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    assert list(response.context["incidents"]) == [older, newer]
    page = response.content.decode()
    assert page.index("Dilnoza") < page.index("Efua")
    assert "Farida" not in page
    assert "asked on 18 Nov 2026" in page


def test_the_page_is_named_welfare_not_the_field_check_ins(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Welfare follow-up" in page
    assert '<a href="/incidents/welfare/" aria-current="page">Welfare</a>' in page
    # "Check-ins" stays the name of the field check-ins in the menu, and only of them.
    assert ">Check-ins</a>" in page
    assert '<a href="/incidents/welfare/" aria-current="page">Check-ins' not in page


def test_the_list_says_nothing_of_what_happened(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(welfare_follow_up=True)

    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    assert incident.reference.encode() in response.content
    assert b"Followed after outreach" not in response.content
    assert b"old house" not in response.content


def test_marking_a_check_in_done_records_who_and_when(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(welfare_follow_up=True)
    moment = local(2026, 11, 20, 15, 0)

    with time_machine.travel(moment, tick=False):
        response = sign_in(client, coordinator).post(done_url(incident), follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert b"Marked as checked in." in response.content
    assert b"Nobody is waiting for a check-in." in response.content
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.welfare_done_at, saved.welfare_done_by) == (moment, coordinator)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(incident.pk),
        ["welfare_done_at"],
    )


def test_marking_it_done_twice_changes_nothing(
    client: Client, coordinator: User, administrator: User
) -> None:
    incident = IncidentFactory(welfare_follow_up=True)
    sign_in(client, coordinator).post(done_url(incident))

    sign_in(Client(), administrator).post(done_url(incident))

    assert Incident.objects.get(pk=incident.pk).welfare_done_by == coordinator
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 1


def test_an_incident_without_a_request_is_not_marked(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(welfare_follow_up=False)

    sign_in(client, coordinator).post(done_url(incident))

    assert Incident.objects.get(pk=incident.pk).welfare_done_at is None


def test_a_request_on_a_named_incident_is_for_administrators_and_the_named(
    client: Client, coordinator: User, administrator: User
) -> None:
    incident = IncidentFactory(welfare_follow_up=True, visibility="named")

    as_coordinator = sign_in(client, coordinator).get(URL)
    as_administrator = sign_in(Client(), administrator).get(URL)

    assert list(as_coordinator.context["incidents"]) == []
    assert list(as_administrator.context["incidents"]) == [incident]
    assert client.post(done_url(incident)).status_code == 404
    assert Incident.objects.get(pk=incident.pk).welfare_done_at is None


def test_staff_may_not_see_the_list_or_mark_a_check_in(client: Client, staff: User) -> None:
    incident = IncidentFactory(welfare_follow_up=True)
    sign_in(client, staff)

    assert client.get(URL).status_code == 403
    assert client.post(done_url(incident)).status_code == 403
    assert Incident.objects.get(pk=incident.pk).welfare_done_at is None


def test_staff_get_404_for_an_incident_they_may_not_see(client: Client, other_staff: User) -> None:
    incident = IncidentFactory(welfare_follow_up=True, visibility="coordinators")

    assert sign_in(client, other_staff).post(done_url(incident)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    incident = IncidentFactory(welfare_follow_up=True)

    assert client.get(URL)["Location"] == "/login/"
    assert client.post(done_url(incident))["Location"] == "/login/"


def test_wrong_methods_are_refused(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(welfare_follow_up=True)
    sign_in(client, coordinator)

    assert client.post(URL).status_code == 405
    assert client.get(done_url(incident)).status_code == 405
    assert Incident.objects.get(pk=incident.pk).welfare_done_at is None


def test_a_check_in_done_is_on_the_timeline_and_the_reporter_is_told(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory(welfare_follow_up=True, reporter=staff)
    sign_in(client, coordinator).post(done_url(incident))

    page = sign_in(Client(), staff).get(f"/incidents/{incident.pk}/")

    [entry] = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.WELFARE)
    assert entry.author == coordinator
    assert page.status_code == 200
    assert "Someone checked in" in page.content.decode()
    [told] = Notification.objects.filter(kind=WELFARE_DONE)
    assert (told.recipient, told.link) == (staff, f"/incidents/{incident.pk}/")
