from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from riskassessment.models import RiskSituation
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.browsing import form_as_sent
from tests.conftest import sign_in
from tests.factories import (
    IncidentFactory,
    PersonFactory,
    PlaceFactory,
    RiskSituationFactory,
    UserFactory,
)

UNKNOWN = "/risks/00000000-0000-4000-8000-000000000000/edit/"
CONFLICT = b"Someone else changed this situation while you were editing."


def url(situation: RiskSituation) -> str:
    return f"/risks/{situation.pk}/edit/"


def form_data(situation: RiskSituation, **changes: object) -> dict[str, object]:
    """The form as it comes back when saved without changes."""
    data = {
        "kind": situation.kind,
        "title": situation.title,
        "objective": situation.objective,
        "place": str(situation.place_id or ""),
        "starts_on": situation.starts_on.isoformat() if situation.starts_on else "",
        "ends_on": situation.ends_on.isoformat() if situation.ends_on else "",
        "participants": [str(pk) for pk in situation.participants.values_list("pk", flat=True)],
        "people": [str(pk) for pk in situation.people.values_list("pk", flat=True)],
        "check_in_with": str(situation.check_in_with_id or ""),
        "check_in_when": situation.check_in_when,
        "check_in_missed": situation.check_in_missed,
        "check_in_grace_minutes": str(situation.check_in_grace_minutes),
        "incidents": [str(pk) for pk in situation.incidents.values_list("pk", flat=True)],
        "review_every_months": str(situation.review_every_months),
        "status": situation.status,
        "version": str(situation.version),
    }
    data = {name: value for name, value in data.items() if value not in ("", [])}
    return {**data, **changes}


def test_a_coordinator_changes_the_plan_and_the_change_is_audited_by_name(
    client: Client, coordinator: User, staff: User
) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).post(
        url(situation),
        form_data(
            situation, objective="Reach women at the station safely.", participants=[staff.pk]
        ),
    )

    assert response["Location"] == f"/risks/{situation.pk}/"
    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.objective, saved.version) == ("Reach women at the station safely.", 2)
    assert list(saved.participants.all()) == [staff]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(situation.pk),
        ["objective", "participants"],
    )


def test_an_administrator_closes_a_situation(client: Client, administrator: User) -> None:
    situation = RiskSituationFactory()

    sign_in(client, administrator).post(url(situation), form_data(situation, status="closed"))

    assert RiskSituation.objects.get(pk=situation.pk).status == "closed"


def test_the_form_opens_with_what_is_recorded_and_the_look_is_audited(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).get(url(situation))

    assert response.status_code == 200
    assert b'value="Thursday night outreach at the station"' in response.content
    assert b"After 30 minutes Rosa calls" in response.content
    assert b'name="version" value="1"' in response.content
    assert b'name="status" value="closed"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (coordinator, str(situation.pk))


def test_an_archived_place_and_person_stay_on_the_situation_after_an_edit(
    client: Client, coordinator: User
) -> None:
    place = PlaceFactory(archived=True)
    person = PersonFactory(archived_at=timezone.now())
    situation = RiskSituationFactory(place=place, people=[person])

    sign_in(client, coordinator).post(url(situation), form_data(situation, title="Renamed"))

    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.title, saved.place, list(saved.people.all())) == ("Renamed", place, [person])


def test_someone_who_has_left_stays_named_until_someone_else_is_chosen(
    client: Client, coordinator: User, staff: User
) -> None:
    former = UserFactory(role=Role.STAFF, is_active=False)
    situation = RiskSituationFactory(participants=[former, staff], check_in_with=former)

    response = sign_in(client, coordinator).post(
        url(situation), form_data(situation, title="Renamed")
    )

    assert response.status_code == 302
    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.title, saved.check_in_with) == ("Renamed", former)
    assert set(saved.participants.all()) == {former, staff}
    RiskSituationFactory(participants=[staff])  # taking part in two situations
    elsewhere = client.get(url(RiskSituationFactory())).context["form"].fields["participants"]
    here = client.get(url(situation)).context["form"].fields["participants"]
    assert former not in elsewhere.queryset
    assert list(here.queryset).count(staff) == list(here.queryset).count(former) == 1


def test_a_link_to_an_incident_the_coordinator_may_not_see_stays_unseen(
    client: Client, coordinator: User
) -> None:
    hidden, shown = IncidentFactory(visibility="named"), IncidentFactory()
    situation = RiskSituationFactory(incidents=[hidden, shown])
    sign_in(client, coordinator)

    page = client.get(url(situation))
    client.post(
        url(situation),
        {**form_data(situation), "incidents": [shown.pk], "check_in_when": "Hourly."},
    )

    assert hidden.reference.encode() not in page.content
    assert shown.reference.encode() in page.content
    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.check_in_when, set(saved.incidents.all())) == ("Hourly.", {hidden, shown})
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["check_in_when"]


def test_a_conflicting_edit_is_explained_and_keeps_the_editors_text(
    client: Client, coordinator: User, administrator: User
) -> None:
    situation = RiskSituationFactory()
    opened = form_data(situation)  # Rosa opens the form at version 1
    sign_in(Client(), administrator).post(url(situation), form_data(situation, kind="travel"))

    response = sign_in(client, coordinator).post(
        url(situation), {**opened, "check_in_when": "Every hour, on the hour."}
    )

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"Every hour, on the hour." in response.content
    assert b'name="version" value="2"' in response.content
    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.kind, saved.check_in_when, saved.version) == (
        "travel",
        "On arrival, every two hours, and once home.",
        2,
    )


def test_saving_the_form_shown_after_a_conflict_keeps_both_edits(
    client: Client, coordinator: User, administrator: User
) -> None:
    situation = RiskSituationFactory()
    sign_in(client, coordinator).get(url(situation))  # opening the form keeps the values it shows
    opened = form_data(situation)
    sign_in(Client(), administrator).post(url(situation), form_data(situation, kind="travel"))
    conflict = sign_in(client, coordinator).post(
        url(situation), {**opened, "check_in_when": "Hourly."}
    )

    response = client.post(url(situation), form_as_sent(conflict.content))

    assert response.status_code == 302
    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.kind, saved.check_in_when, saved.version) == ("travel", "Hourly.", 3)


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).post(
        url(situation),
        form_data(
            situation,
            title="",
            objective="A new objective.",
            starts_on="2030-05-02",
            ends_on="2030-05-01",
            review_every_months="0",
        ),
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "ends_on", "review_every_months"}
    assert b"A new objective." in response.content
    assert b'value="2030-05-02"' in response.content
    saved = RiskSituation.objects.get(pk=situation.pk)
    assert (saved.title, saved.version) == ("Thursday night outreach at the station", 1)


def test_staff_may_not_edit_even_a_situation_they_take_part_in(client: Client, staff: User) -> None:
    situation = RiskSituationFactory(participants=[staff])
    sign_in(client, staff)

    assert client.get(url(situation)).status_code == 403
    assert client.post(url(situation), form_data(situation, title="Mine")).status_code == 403
    assert RiskSituation.objects.get(pk=situation.pk).version == 1


def test_an_unknown_situation_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.get("/risks/not-a-uuid/edit/").status_code == 404


def test_put_is_refused(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    assert sign_in(client, coordinator).put(url(situation)).status_code == 405


def test_the_incident_picker_says_what_happened_and_the_look_names_each_incident(
    client: Client, coordinator: User
) -> None:
    offered = IncidentFactory(summary="Messages from an unknown number")
    linked = IncidentFactory(summary="Car at the gate")
    hidden = IncidentFactory(visibility="named", summary="Call to her sister")
    too_old = IncidentFactory(
        occurred_on=timezone.localdate() - timedelta(days=400), summary="Stolen bicycle"
    )
    situation = RiskSituationFactory(incidents=[linked, hidden])
    sign_in(client, coordinator)

    response = client.get(url(situation))
    sent = form_as_sent(response.content)
    found = client.post(url(situation), {**sent, "find": ["incidents"]})

    # The form shows what is linked; "Find" the other incidents one may link, never listed.
    assert response.status_code == found.status_code == 200
    page, search = response.content.decode(), found.content.decode()
    assert f'<span class="suggestion-reference">{linked.reference}</span>' in page
    assert "Car at the gate" in page and "Messages from an unknown number" not in page
    assert f'<span class="suggestion-reference">{offered.reference}</span>' in search
    assert "Messages from an unknown number" in search and "Car at the gate" in search
    for shown_page in (page, search):
        assert "Call to her sister" not in shown_page and "Stolen bicycle" not in shown_page
    events = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).order_by("id")
    assert [event.object_id for event in events] == [str(situation.pk)] * 2
    assert {f"incidents.incident:{linked.pk}"} <= set(events[0].shown)
    assert f"incidents.incident:{offered.pk}" not in events[0].shown
    assert {f"incidents.incident:{i.pk}" for i in (offered, linked)} <= set(events[1].shown)
    for event in events:
        assert not {f"incidents.incident:{i.pk}" for i in (hidden, too_old)} & set(event.shown)


def test_the_form_makes_as_many_queries_for_80_incidents_as_for_3(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory(incidents=IncidentFactory.create_batch(2))
    IncidentFactory()
    sign_in(client, coordinator).get(url(situation))  # the first request notes the session's start
    with CaptureQueriesContext(connection) as few:
        client.get(url(situation))
    IncidentFactory.create_batch(77)

    with CaptureQueriesContext(connection) as many:
        response = client.get(url(situation))

    assert len(many) == len(few)
    # The two linked: the other incidents are found by typing, never listed.
    assert response.content.count(b'name="incidents" value=') == 2
