from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PlaceFactory

UNKNOWN = "/places/00000000-0000-4000-8000-000000000000/"


def test_staff_see_the_name_and_kind_but_not_the_address_or_notes(
    client: Client, staff: User
) -> None:
    place = PlaceFactory(name="Willow House", address="7 Hidden Lane", notes="door code 4821")

    response = sign_in(client, staff).get(f"/places/{place.pk}/")

    assert response.status_code == 200
    assert b"Willow House" in response.content and b"Shelter" in response.content
    assert b"Hidden Lane" not in response.content and b"4821" not in response.content
    # The name is encrypted too: showing it is a recorded view, like any decrypted content.
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (staff, str(place.pk))


def test_coordinators_see_the_address_with_its_warning_and_the_view_is_recorded(
    client: Client, coordinator: User
) -> None:
    place = PlaceFactory(address="7 Hidden Lane", notes="door code 4821")

    response = sign_in(client, coordinator).get(f"/places/{place.pk}/")

    assert b"7 Hidden Lane" in response.content and b"4821" in response.content
    assert b"Never share this address by phone or message." in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "places.place",
        str(place.pk),
    )


def test_an_office_address_has_no_shelter_warning(client: Client, administrator: User) -> None:
    place = PlaceFactory(kind="office", address="1 High Street")

    response = sign_in(client, administrator).get(f"/places/{place.pk}/")

    assert response.status_code == 200
    assert b"1 High Street" in response.content
    assert b"Never share this address" not in response.content


def test_the_page_title_does_not_name_the_place(client: Client, coordinator: User) -> None:
    place = PlaceFactory(name="Willow House")

    response = sign_in(client, coordinator).get(f"/places/{place.pk}/")

    assert response.status_code == 200
    assert b"<h1>Willow House</h1>" in response.content
    title = response.content.split(b"<title>")[1].split(b"</title>")[0]
    assert title.startswith(b"Place \xc2\xb7")
    assert b"Willow" not in title


def test_an_archived_place_is_not_found_by_staff_but_shown_to_coordinators(
    client: Client, staff: User, coordinator: User
) -> None:
    place = PlaceFactory(archived=True)

    assert sign_in(client, staff).get(f"/places/{place.pk}/").status_code == 404
    assert sign_in(Client(), coordinator).get(f"/places/{place.pk}/").status_code == 200


def test_an_unknown_place_is_not_found(client: Client, staff: User) -> None:
    assert sign_in(client, staff).get(UNKNOWN).status_code == 404


def test_a_post_is_refused(client: Client, staff: User) -> None:
    place = PlaceFactory()

    assert sign_in(client, staff).post(f"/places/{place.pk}/").status_code == 405
