from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place
from tests.conftest import sign_in

VALID = {"kind": "shelter", "name": "Willow House", "address": "7 Hidden Lane", "notes": ""}


def test_a_coordinator_adds_a_place(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).post("/places/new/", VALID)

    place = Place.objects.get()
    assert response["Location"] == f"/places/{place.pk}/"
    assert (place.kind, place.name, place.address, place.version) == (
        "shelter",
        "Willow House",
        "7 Hidden Lane",
        1,
    )


def test_adding_is_recorded_with_field_names_only(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator).post("/places/new/", VALID)

    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert event.actor == coordinator and event.object_type == "places.place"
    assert event.fields == ["address", "kind", "name"]
    assert "Willow" not in str(event.fields) and "Hidden" not in str(event.fields)


def test_the_form_says_who_sees_the_address(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).get("/places/new/")

    assert response.status_code == 200
    assert b"Only coordinators and administrators see the address" in response.content


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    data = {**VALID, "name": "  ", "kind": "castle", "notes": "Back gate after dark"}

    response = sign_in(client, coordinator).post("/places/new/", data)

    assert response.status_code == 200
    assert b"Give the place a name." in response.content
    assert b"Select a valid choice" in response.content
    assert b"7 Hidden Lane" in response.content and b"Back gate after dark" in response.content
    assert not Place.objects.exists()


def test_staff_may_not_add_places(client: Client, staff: User) -> None:
    assert sign_in(client, staff).get("/places/new/").status_code == 403
    assert sign_in(client, staff).post("/places/new/", VALID).status_code == 403
    assert not Place.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    assert client.post("/places/new/", VALID)["Location"] == "/login/"
    assert not Place.objects.exists()


def test_other_methods_are_refused(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).put("/places/new/").status_code == 405
