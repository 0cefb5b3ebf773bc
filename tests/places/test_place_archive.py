from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import PlaceFactory


def test_archiving_hides_the_place_from_staff_and_is_recorded(
    client: Client, coordinator: User, staff: User
) -> None:
    place = PlaceFactory(name="Willow House")
    PlaceFactory(name="Oak House")

    response = sign_in(client, coordinator).post(f"/places/{place.pk}/archive/")

    assert response["Location"] == "/places/"
    saved = Place.objects.get(pk=place.pk)
    assert (saved.archived, saved.version) == (True, 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(place.pk),
        ["archived"],
    )
    assert sign_in(Client(), staff).get(f"/places/{place.pk}/").status_code == 404
    listed = sign_in(Client(), staff).get("/places/")
    assert listed.status_code == 200
    assert b"Oak House" in listed.content and b"Willow House" not in listed.content


def test_archiving_keeps_the_encrypted_values(client: Client, administrator: User) -> None:
    place = PlaceFactory(name="Willow House", address="7 Hidden Lane")

    sign_in(client, administrator).post(f"/places/{place.pk}/archive/")

    saved = Place.objects.get(pk=place.pk)
    assert (saved.name, saved.address) == ("Willow House", "7 Hidden Lane")


def test_archiving_twice_records_once(client: Client, coordinator: User) -> None:
    place = PlaceFactory()
    sign_in(client, coordinator)

    client.post(f"/places/{place.pk}/archive/")
    client.post(f"/places/{place.pk}/archive/")

    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 1


def test_staff_may_not_archive(client: Client, staff: User) -> None:
    place = PlaceFactory()

    assert sign_in(client, staff).post(f"/places/{place.pk}/archive/").status_code == 403
    assert not Place.objects.get(pk=place.pk).archived


def test_an_unknown_place_is_not_found(client: Client, coordinator: User) -> None:
    url = "/places/00000000-0000-4000-8000-000000000000/archive/"

    assert sign_in(client, coordinator).post(url).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    place = PlaceFactory()

    assert client.post(f"/places/{place.pk}/archive/")["Location"] == "/login/"
    assert not Place.objects.get(pk=place.pk).archived


def test_a_get_is_refused(client: Client, coordinator: User) -> None:
    place = PlaceFactory()

    assert sign_in(client, coordinator).get(f"/places/{place.pk}/archive/").status_code == 405
    assert not Place.objects.get(pk=place.pk).archived
