from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PlaceFactory


def test_staff_see_names_and_kinds_sorted_by_kind_then_name(client: Client, staff: User) -> None:
    PlaceFactory(kind="shelter", name="Willow House")
    PlaceFactory(kind="office", name="Main office")
    PlaceFactory(kind="shelter", name="Birch House")

    response = sign_in(client, staff).get("/places/")

    assert response.status_code == 200
    names = [place.name for place, _shown in response.context["rows"]]
    assert names == ["Main office", "Birch House", "Willow House"]
    assert b"Willow House" in response.content and b"Shelter" in response.content


def test_staff_see_no_address_no_notes_and_no_archived_filter(client: Client, staff: User) -> None:
    place = PlaceFactory(address="7 Hidden Lane", notes="door code 4821")

    response = sign_in(client, staff).get("/places/")

    assert response.status_code == 200
    assert place.name.encode() in response.content
    assert b"Hidden Lane" not in response.content
    assert b"4821" not in response.content
    assert b"Address" not in response.content
    assert b"archived" not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LIST).exists()


def test_staff_never_see_archived_places_even_when_they_ask(client: Client, staff: User) -> None:
    PlaceFactory(name="Closed House", archived=True)
    PlaceFactory(name="Open House")

    response = sign_in(client, staff).get("/places/", {"archived": "on"})

    assert response.status_code == 200
    assert b"Open House" in response.content
    assert b"Closed House" not in response.content


def test_coordinators_see_addresses_with_the_shelter_warning_and_the_listing_is_recorded(
    client: Client, coordinator: User
) -> None:
    PlaceFactory(kind="shelter", address="7 Hidden Lane")
    PlaceFactory(kind="office", name="Main office", address="1 High Street")

    response = sign_in(client, coordinator).get("/places/")

    assert b"7 Hidden Lane" in response.content and b"1 High Street" in response.content
    assert response.content.count(b"Never share this address by phone or message.") == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert (event.actor, event.object_type, event.object_id) == (coordinator, "places.place", "")


def test_coordinators_filter_archived_places(client: Client, coordinator: User) -> None:
    PlaceFactory(name="Open House")
    PlaceFactory(name="Closed House", archived=True)
    sign_in(client, coordinator)

    active = client.get("/places/")
    archived = client.get("/places/", {"archived": "on"})

    assert active.status_code == archived.status_code == 200
    assert b"Open House" in active.content and b"Closed House" not in active.content
    assert b"Closed House" in archived.content and b"Open House" not in archived.content


def test_the_query_count_does_not_grow_with_the_number_of_places(
    client: Client, coordinator: User
) -> None:
    sign_in(client, coordinator).get("/places/")  # the first request notes the session's start
    PlaceFactory.create_batch(3)
    with CaptureQueriesContext(connection) as few:
        client.get("/places/")
    PlaceFactory.create_batch(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/places/")

    assert len(many) == len(few)
    assert len(response.context["rows"]) == 30


def test_a_post_is_refused(client: Client, staff: User) -> None:
    assert sign_in(client, staff).post("/places/").status_code == 405
