from django.test import Client
from django.utils import timezone

from incidents.models import Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.browsing import form_as_sent
from tests.conftest import sign_in
from tests.factories import AdversaryFactory, IncidentFactory, PersonFactory, PlaceFactory

UNKNOWN = "/incidents/00000000-0000-4000-8000-000000000000/edit/"
CONFLICT = b"Someone else changed this incident while you were editing."


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/edit/"


def form_data(incident: Incident, **changes: object) -> dict[str, object]:
    """The form as it comes back when saved without changes."""
    data = {
        "kind": incident.kind,
        "occurred_on": incident.occurred_on.isoformat(),
        "occurred_time": incident.occurred_time.strftime("%H:%M") if incident.occurred_time else "",
        "approximate": "on" if incident.approximate else "",
        "place": str(incident.place_id or ""),
        "location": incident.location,
        "summary": incident.summary,
        "description": incident.description,
        "affected_people": [
            str(pk) for pk in incident.affected_people.values_list("pk", flat=True)
        ],
        "affects_organization": "on" if incident.affects_organization else "",
        "severity": str(incident.severity),
        "visibility": incident.visibility,
        "shared_with": [str(pk) for pk in incident.shared_with.values_list("pk", flat=True)],
        "welfare_follow_up": "on" if incident.welfare_follow_up else "",
        "category": incident.category,
        "source": str(incident.source_id or ""),
        "impact": incident.impact,
        "immediate_response": incident.immediate_response,
        "reported_to": incident.reported_to,
        "evidence": incident.evidence,
        "factors": list(incident.factors),
        "factors_notes": incident.factors_notes,
        "guidelines_covered": incident.guidelines_covered,
        "guidelines_followed": incident.guidelines_followed,
        "lessons": incident.lessons,
        "version": str(incident.version),
    }
    data = {name: value for name, value in data.items() if value not in ("", [])}
    return {**data, **changes}


def test_the_reporter_completes_their_report(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff, lessons="")

    response = sign_in(client, staff).post(
        url(incident), form_data(incident, lessons="Never leave alone after dark.")
    )

    assert response["Location"] == f"/incidents/{incident.pk}/"
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.lessons, saved.version) == ("Never leave alone after dark.", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (staff, str(incident.pk), ["lessons"])


def test_saving_without_changes_changes_nothing_on_the_timeline(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)

    response = sign_in(client, staff).post(url(incident), form_data(incident))

    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert not TimelineEntry.objects.exists()


def test_the_form_opens_with_what_is_recorded_and_the_look_is_audited(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)

    response = sign_in(client, staff).get(url(incident))

    assert response.status_code == 200
    assert b'value="Followed after outreach"' in response.content
    assert b"A man from the old house followed us to the bus stop." in response.content
    assert b'name="version" value="1"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (staff, str(incident.pk))


def test_a_coordinator_edits_any_incident_they_see(
    client: Client, coordinator: User, other_staff: User
) -> None:
    incident = IncidentFactory(reporter=other_staff, visibility="coordinators")

    sign_in(client, coordinator).post(url(incident), form_data(incident, category="surveillance"))

    assert Incident.objects.get(pk=incident.pk).category == "surveillance"


def test_an_administrator_edits_too(client: Client, administrator: User) -> None:
    incident = IncidentFactory(visibility="named")

    sign_in(client, administrator).post(url(incident), form_data(incident, severity="5"))

    assert Incident.objects.get(pk=incident.pk).severity == 5


def test_other_staff_may_read_a_team_incident_but_not_edit_it(
    client: Client, staff: User, other_staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    sign_in(client, other_staff)

    page = client.get(url(incident))
    post = client.post(url(incident), form_data(incident, summary="Nothing happened"))

    assert page.status_code == 403 and b"old house" not in page.content
    assert post.status_code == 403
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.summary, saved.version) == ("Followed after outreach", 1)
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_DENIED)
    assert [event.object_id for event in denied] == ["incidents:edit", "incidents:edit"]


def test_a_conflicting_edit_is_explained_and_keeps_the_editors_text(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    opened = form_data(incident)  # the reporter opens the form at version 1
    sign_in(Client(), coordinator).post(url(incident), form_data(incident, category="defamation"))

    response = sign_in(client, staff).post(
        url(incident), {**opened, "lessons": "Always text the office when leaving."}
    )

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"Always text the office when leaving." in response.content
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.category, saved.lessons, saved.version) == ("defamation", "Leave in pairs.", 2)
    assert b'name="version" value="2"' in response.content


def test_saving_the_form_shown_after_a_conflict_keeps_both_edits(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    sign_in(client, staff).get(url(incident))  # opening the form keeps the values it shows
    opened = form_data(incident)
    sign_in(Client(), coordinator).post(url(incident), form_data(incident, category="defamation"))
    conflict = sign_in(client, staff).post(url(incident), {**opened, "lessons": "Text the office."})

    response = client.post(url(incident), form_as_sent(conflict.content))

    assert response.status_code == 302
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.category, saved.lessons, saved.version) == ("defamation", "Text the office.", 3)


def test_a_change_of_severity_is_written_on_the_timeline(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff, severity=3)

    sign_in(client, staff).post(url(incident), form_data(incident, severity="4"))

    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.old_value, entry.new_value, entry.author) == (
        "severity",
        "3",
        "4",
        staff,
    )
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert (
        "From 3 - Moderate: someone was harmed or seriously threatened to "
        "4 - Serious: someone was hurt or is in danger." in page
    )


def test_a_change_of_visibility_is_written_on_the_timeline(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)

    sign_in(client, staff).post(url(incident), form_data(incident, visibility="coordinators"))

    entry = TimelineEntry.objects.get()
    assert (entry.kind, entry.old_value, entry.new_value) == ("visibility", "team", "coordinators")
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "From Everyone in the team to Coordinators only (and me)." in page


def test_a_change_of_both_writes_one_entry_each(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(severity=2)

    sign_in(client, coordinator).post(
        url(incident), form_data(incident, severity="5", visibility="coordinators")
    )

    kinds = sorted(TimelineEntry.objects.values_list("kind", flat=True))
    assert kinds == ["severity", "visibility"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["severity", "visibility"]


def test_bad_input_keeps_what_was_typed(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)

    response = sign_in(client, staff).post(
        url(incident), form_data(incident, summary="", lessons="Call before leaving.")
    )

    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert b"Call before leaving." in response.content
    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.summary, saved.version) == ("Followed after outreach", 1)


def test_outsiders_get_404(client: Client, other_staff: User, coordinator: User) -> None:
    coordinators_only = IncidentFactory(visibility="coordinators")
    named = IncidentFactory(visibility="named")

    assert sign_in(client, other_staff).get(url(coordinators_only)).status_code == 404
    assert client.post(url(coordinators_only), form_data(coordinators_only)).status_code == 404
    assert sign_in(Client(), coordinator).get(url(named)).status_code == 404
    assert sign_in(Client(), coordinator).get(UNKNOWN).status_code == 404


def test_put_is_refused(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)

    assert sign_in(client, staff).put(url(incident)).status_code == 405


def offered(form: object, name: str) -> set[str]:
    return {str(pk) for pk in form.fields[name].queryset.values_list("pk", flat=True)}  # type: ignore[attr-defined]


def as_the_page_offers_it(client: Client, incident: Incident, **changes: object) -> dict:
    """What a browser sends back: only the values the edit page itself offers."""
    form = client.get(url(incident)).context["form"]
    data: dict[str, object] = {}
    for name in form.fields:
        value = form[name].value()
        if name in ("place", "source", "affected_people", "shared_with"):
            values = value if isinstance(value, list | tuple) else [value]
            chosen = [str(v) for v in values if str(v) in offered(form, name)]
            data[name] = chosen if isinstance(value, list | tuple) else (chosen or [""])[0]
        elif value is True:
            data[name] = "on"
        elif value not in (None, "", False):
            data[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return {**data, **changes}


def test_staff_saving_their_report_keep_a_source_only_coordinators_see(
    client: Client, staff: User
) -> None:
    adversary = AdversaryFactory()
    incident = IncidentFactory(reporter=staff, source=adversary, lessons="")
    sign_in(client, staff)

    client.post(url(incident), as_the_page_offers_it(client, incident, lessons="Go in pairs."))

    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.lessons, saved.source_id) == ("Go in pairs.", adversary.pk)


def test_an_archived_place_and_person_stay_on_the_incident_after_an_edit(
    client: Client, staff: User
) -> None:
    place = PlaceFactory(archived=True)
    person = PersonFactory(archived_at=timezone.now())
    incident = IncidentFactory(reporter=staff, place=place)
    incident.affected_people.set([person])
    sign_in(client, staff)

    client.post(url(incident), as_the_page_offers_it(client, incident, lessons="Noted."))

    saved = Incident.objects.get(pk=incident.pk)
    assert (saved.place_id, list(saved.affected_people.all())) == (place.pk, [person])


def test_a_named_coordinator_who_edits_keeps_their_access(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(reporter=staff, visibility="named")
    incident.shared_with.set([coordinator])
    sign_in(client, coordinator)

    client.post(url(incident), as_the_page_offers_it(client, incident, lessons="Checked."))

    assert client.get(f"/incidents/{incident.pk}/").status_code == 200
