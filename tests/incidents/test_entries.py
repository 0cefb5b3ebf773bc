from datetime import timedelta

from django.test import Client
from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import ActorFactory, EngagementFactory, IncidentFactory, TimelineEntryFactory

UNKNOWN_INCIDENT = "/incidents/00000000-0000-4000-8000-000000000000/entries/new/"


def create_url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/entries/new/"


def correct_url(entry: TimelineEntry) -> str:
    return f"/incidents/{entry.incident_id}/entries/{entry.pk}/correct/"


def detail(client: Client, incident: Incident) -> str:
    return client.get(f"/incidents/{incident.pk}/").content.decode()


def test_staff_add_a_note_to_a_team_incident(
    client: Client, staff: User, other_staff: User
) -> None:
    incident = IncidentFactory(reporter=other_staff)

    response = sign_in(client, staff).post(
        create_url(incident), {"kind": "note", "body": "The van was back on Friday."}
    )

    assert response["Location"] == f"/incidents/{incident.pk}/"
    entry = TimelineEntry.objects.get()
    assert (entry.incident, entry.kind, entry.body, entry.author) == (
        incident,
        "note",
        "The van was back on Friday.",
        staff,
    )
    assert "The van was back on Friday." in detail(client, incident)


def test_an_action_taken_is_recorded_with_field_names_only(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)

    sign_in(client, staff).post(
        create_url(incident), {"kind": "action", "body": "Changed the outreach route."}
    )

    entry = TimelineEntry.objects.get()
    assert entry.kind == "action"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id, event.fields) == (
        staff,
        "incidents.timelineentry",
        str(entry.pk),
        ["body"],
    )


def test_the_form_page_opens_for_staff(client: Client, staff: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, staff).get(create_url(incident))

    assert response.status_code == 200
    assert incident.reference.encode() in response.content


def test_a_coordinator_links_an_ally_contact_to_its_engagement(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    engagement = EngagementFactory(actor=ActorFactory(name="Harbour Shelter"))

    sign_in(client, coordinator).post(
        create_url(incident),
        {"kind": "ally_contacted", "body": "Asked for a bed.", "engagement": str(engagement.pk)},
    )

    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.engagement) == ("ally_contacted", engagement)
    assert "Contact with Harbour Shelter on" in detail(client, incident)


def test_staff_do_not_see_the_engagement_a_coordinator_linked(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory()
    engagement = EngagementFactory(actor=ActorFactory(name="Harbour Shelter"))
    TimelineEntryFactory(
        incident=incident, kind="ally_contacted", body="Asked for a bed.", engagement=engagement
    )

    page = detail(sign_in(client, staff), incident)

    assert "Asked for a bed." in page
    assert "Harbour Shelter" not in page
    assert f"/allies/engagements/{engagement.pk}/" not in page


def test_staff_get_no_engagement_field_and_cannot_post_one(client: Client, staff: User) -> None:
    incident = IncidentFactory()
    engagement = EngagementFactory()
    sign_in(client, staff)

    form = client.get(create_url(incident))
    posted = client.post(
        create_url(incident),
        {"kind": "ally_contacted", "body": "Called the shelter.", "engagement": str(engagement.pk)},
    )
    page = client.get(f"/incidents/{incident.pk}/")

    assert form.status_code == 200
    assert b'name="body"' in form.content
    assert b'name="engagement"' not in form.content
    assert posted.status_code == 302
    assert page.status_code == 200
    assert b"Called the shelter." in page.content
    assert b'name="engagement"' not in page.content
    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.engagement) == ("ally_contacted", None)


def test_only_recent_engagements_are_offered(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()
    recent = EngagementFactory()
    old = EngagementFactory(date=timezone.localdate() - timedelta(days=120))

    form = sign_in(client, coordinator).get(create_url(incident)).context["form"]

    offered = list(form.fields["engagement"].queryset)
    assert recent in offered and old not in offered


def test_an_engagement_goes_only_with_an_ally_contact(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()
    engagement = EngagementFactory()

    response = sign_in(client, coordinator).post(
        create_url(incident),
        {"kind": "note", "body": "Asked for a bed.", "engagement": str(engagement.pk)},
    )

    assert response.status_code == 200
    assert "Link a contact only to an “Ally contacted” entry.".encode() in response.content
    assert b"Asked for a bed." in response.content
    assert not TimelineEntry.objects.exists()


def test_people_cannot_write_automatic_entries(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        create_url(incident), {"kind": "status", "body": "Closed it myself."}
    )

    assert response.status_code == 200
    assert b"Closed it myself." in response.content
    assert not TimelineEntry.objects.exists()


def test_an_empty_entry_is_refused(client: Client, staff: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, staff).post(create_url(incident), {"kind": "note", "body": ""})

    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert not TimelineEntry.objects.exists()


def test_a_correction_is_a_new_entry_pointing_at_the_old_one(
    client: Client, staff: User, other_staff: User
) -> None:
    original = TimelineEntryFactory(body="The van was white.", author=other_staff)
    written_at = original.created_at

    response = sign_in(client, staff).post(correct_url(original), {"body": "The van was grey."})

    assert response["Location"] == f"/incidents/{original.incident_id}/"
    correction = TimelineEntry.objects.exclude(pk=original.pk).get()
    assert (correction.corrects, correction.kind, correction.body, correction.author) == (
        original,
        "note",
        "The van was grey.",
        staff,
    )
    unchanged = TimelineEntry.objects.get(pk=original.pk)
    assert (unchanged.body, unchanged.author, unchanged.created_at) == (
        "The van was white.",
        other_staff,
        written_at,
    )
    page = detail(client, original.incident)
    assert "The van was white." in page and "The van was grey." in page
    assert "Corrects the entry of" in page


def test_the_correction_page_quotes_the_entry(client: Client, staff: User) -> None:
    original = TimelineEntryFactory(body="The van was white.")

    response = sign_in(client, staff).get(correct_url(original))

    assert response.status_code == 200
    assert b"The van was white." in response.content


def test_an_empty_correction_is_refused(client: Client, staff: User) -> None:
    original = TimelineEntryFactory()

    response = sign_in(client, staff).post(correct_url(original), {"body": ""})

    assert response.status_code == 200
    assert TimelineEntry.objects.count() == 1


def test_an_automatic_entry_cannot_be_corrected(client: Client, coordinator: User) -> None:
    logged = TimelineEntryFactory(kind="logged", body="")
    status = TimelineEntryFactory(kind="status", body="", old_value="new", new_value="closed")
    sign_in(client, coordinator)

    assert client.get(correct_url(logged)).status_code == 404
    assert client.post(correct_url(status), {"body": "It was not closed."}).status_code == 404
    assert TimelineEntry.objects.count() == 2


def test_an_entry_of_another_incident_is_404(client: Client, staff: User) -> None:
    entry = TimelineEntryFactory()
    other = IncidentFactory()

    response = sign_in(client, staff).get(f"/incidents/{other.pk}/entries/{entry.pk}/correct/")

    assert response.status_code == 404


def test_outsiders_get_404_and_nothing_is_added(client: Client, other_staff: User) -> None:
    entry = TimelineEntryFactory(incident=IncidentFactory(visibility="coordinators"))
    sign_in(client, other_staff)

    assert client.get(create_url(entry.incident)).status_code == 404
    assert client.post(create_url(entry.incident), {"kind": "note", "body": "x"}).status_code == 404
    assert client.get(correct_url(entry)).status_code == 404
    assert client.post(correct_url(entry), {"body": "x"}).status_code == 404
    assert client.get(UNKNOWN_INCIDENT).status_code == 404
    assert TimelineEntry.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    entry = TimelineEntryFactory()

    assert client.post(create_url(entry.incident), {"kind": "note", "body": "x"})["Location"] == (
        "/login/"
    )
    assert client.get(correct_url(entry))["Location"] == "/login/"


def test_put_is_refused(client: Client, staff: User) -> None:
    entry = TimelineEntryFactory()
    sign_in(client, staff)

    assert client.put(create_url(entry.incident)).status_code == 405
    assert client.put(correct_url(entry)).status_code == 405
