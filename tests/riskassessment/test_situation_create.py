import re

from django.test import Client

from riskassessment.models import RiskSituation
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.crypto.support import raw_value
from tests.factories import IncidentFactory, PersonFactory, PlaceFactory

URL = "/risks/new/"


def form_data(**changes: object) -> dict[str, object]:
    """Everything a coordinator can fill in, typed as a browser sends it."""
    data = {
        "kind": "outreach",
        "title": "Thursday night outreach at the station",
        "objective": "Reach women recruited at the station.",
        "starts_on": "2030-03-01",
        "ends_on": "2030-03-31",
        "check_in_when": "On arrival and once home.",
        "check_in_missed": "After 30 minutes Rosa calls the shelter.",
        "check_in_grace_minutes": "15",
        "review_every_months": "3",
    }
    return {**data, **changes}


def is_checked(content: bytes, name: str, value: object) -> bool:
    """Whether the tick or radio button `name` with `value` is checked in the page."""
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


def test_a_coordinator_adds_a_situation_and_goes_on_to_assess_it(
    client: Client, coordinator: User, staff: User
) -> None:
    place = PlaceFactory()
    person = PersonFactory()
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        URL,
        form_data(
            place=place.pk,
            participants=[staff.pk],
            people=[person.pk],
            incidents=[incident.pk],
            check_in_with=coordinator.pk,
        ),
    )

    situation = RiskSituation.objects.get()
    assert response["Location"] == f"/risks/{situation.pk}/assess/"
    assert (situation.title, situation.kind, situation.place, situation.created_by) == (
        "Thursday night outreach at the station",
        "outreach",
        place,
        coordinator,
    )
    assert (situation.review_every_months, situation.status, situation.version) == (3, "current", 1)
    assert list(situation.participants.all()) == [staff]
    assert list(situation.people.all()) == [person]
    assert list(situation.incidents.all()) == [incident]
    assert situation.check_in_with == coordinator


def test_the_title_and_objective_are_stored_encrypted(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator).post(URL, form_data())

    situation = RiskSituation.objects.get()
    assert "Thursday" not in str(raw_value(RiskSituation, "title", situation.pk))
    assert "recruited" not in str(raw_value(RiskSituation, "objective", situation.pk))


def test_the_audit_event_names_the_fields_and_never_their_values(
    client: Client, coordinator: User, staff: User
) -> None:
    sign_in(client, coordinator).post(URL, form_data(participants=[staff.pk]))

    situation = RiskSituation.objects.get()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "riskassessment.risksituation",
        str(situation.pk),
    )
    assert {"kind", "title", "objective", "participants"} <= set(event.fields)
    assert "place" not in event.fields
    assert not any("Thursday" in name or "outreach " in name for name in event.fields)


def test_an_administrator_adds_one_too(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).post(URL, form_data())

    assert response.status_code == 302
    assert RiskSituation.objects.get().created_by == administrator


def test_the_empty_form_offers_the_kinds_and_no_status(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    assert b'name="kind" value="organizational"' in response.content
    assert b'name="status"' not in response.content


def test_a_preset_starts_from_one_of_the_guides_organizational_risks(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).get(URL, {"preset": "burnout"})

    assert response.status_code == 200
    assert b'value="Re-traumatization, burnout and vicarious trauma"' in response.content
    assert b"Do the work without it harming the people who do it." in response.content
    assert is_checked(response.content, "kind", "organizational")
    assert not RiskSituation.objects.exists()


def test_an_unknown_preset_starts_from_an_empty_form(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).get(URL, {"preset": "<script>"})

    assert response.status_code == 200
    assert b"<h1>New risk situation</h1>" in response.content
    assert b"burnout" not in response.content
    assert b"<script>" not in response.content
    assert not is_checked(response.content, "kind", "organizational")


def test_a_missing_title_is_explained_and_keeps_everything_typed(
    client: Client, coordinator: User, staff: User
) -> None:
    place = PlaceFactory()
    person = PersonFactory()
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        URL,
        form_data(
            title="",
            place=place.pk,
            participants=[staff.pk],
            people=[person.pk],
            incidents=[incident.pk],
            check_in_with=coordinator.pk,
        ),
    )

    assert response.status_code == 200
    assert b"This field is required." in response.content
    content = response.content
    assert b"Reach women recruited at the station." in content
    assert b"On arrival and once home." in content
    assert b"After 30 minutes Rosa calls the shelter." in content
    assert b'value="2030-03-01"' in content and b'value="2030-03-31"' in content
    assert is_checked(content, "kind", "outreach")
    assert is_checked(content, "participants", staff.pk)
    assert is_checked(content, "people", person.pk)
    assert is_checked(content, "incidents", incident.pk)
    assert is_checked(content, "place", place.pk)  # a radio button of the place picker
    assert is_checked(content, "check_in_with", coordinator.pk)  # a colleague picker's radio
    assert not RiskSituation.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_an_end_before_the_start_is_refused_next_to_the_date(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).post(
        URL, form_data(starts_on="2030-03-10", ends_on="2030-03-01")
    )

    assert response.status_code == 200
    assert response.content.count(b"The end comes before the start.") == 1
    assert response.context["form"].errors["ends_on"] == ["The end comes before the start."]
    assert b'value="2030-03-10"' in response.content and b'value="2030-03-01"' in response.content
    assert b'value="Thursday night outreach at the station"' in response.content
    assert not RiskSituation.objects.exists()


def test_garbage_in_the_dates_and_numbers_is_a_form_error(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).post(
        URL,
        form_data(
            starts_on="yesterday", review_every_months="99", kind="party", place="not-a-uuid"
        ),
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {
        "starts_on",
        "review_every_months",
        "kind",
        "place",
    }
    assert b'value="yesterday"' in response.content
    assert not RiskSituation.objects.exists()


def test_staff_may_not_add_situations(client: Client, staff: User) -> None:
    sign_in(client, staff)

    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data()).status_code == 403
    assert not RiskSituation.objects.exists()
    denied = AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_DENIED)
    assert [event.object_id for event in denied] == ["riskassessment:create"] * 2


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    assert client.get(URL)["Location"] == "/login/"
    assert client.post(URL, form_data()).status_code == 302
    assert not RiskSituation.objects.exists()


def test_put_is_refused(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).put(URL).status_code == 405


def test_places_and_people_are_found_by_typing_not_listed(
    client: Client, coordinator: User
) -> None:
    for n in range(25):
        PlaceFactory(name=f"Lantern {n}")
        PersonFactory(alias=f"Moth {n}")
    sign_in(client, coordinator)

    shown = client.get(URL)
    found = client.post(URL, form_data(title="", place_find="lantern 2", find="place"))

    assert shown.status_code == found.status_code == 200
    assert "Lantern" not in shown.content.decode() and "Moth" not in shown.content.decode()
    page = found.content.decode()
    assert not RiskSituation.objects.exists()
    assert "Some answers need a look" not in page
    assert b"Reach women recruited at the station." in found.content
    # Whole words first: Lantern 2, then 20 to 24, then 12.
    labels = re.findall(r'name="place" value="[0-9a-f-]{36}">(Lantern [0-9]+)', page)
    assert labels == ["Lantern 2", *[f"Lantern {n}" for n in range(20, 25)], "Lantern 12"]
    assert "Moth" not in page
