from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import PlaceFactory


def test_the_admin_list_shows_no_encrypted_value(client: Client, administrator: User) -> None:
    place = PlaceFactory(name="Willow House", address="7 Hidden Lane", notes="code 4821")

    response = sign_in(client, administrator).get("/admin/places/place/")

    assert response.status_code == 200
    assert f"place {place.pk}".encode() in response.content
    assert b"Willow" not in response.content and b"Hidden Lane" not in response.content


def test_opening_a_place_in_the_admin_is_recorded(client: Client, administrator: User) -> None:
    place = PlaceFactory(address="7 Hidden Lane")

    response = sign_in(client, administrator).get(f"/admin/places/place/{place.pk}/change/")

    assert b"7 Hidden Lane" in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.object_type, event.object_id) == ("places.place", str(place.pk))


def test_an_admin_save_is_audited_and_makes_open_forms_stale(
    client: Client, administrator: User
) -> None:
    place = PlaceFactory(name="Willow House")

    response = sign_in(client, administrator).post(
        f"/admin/places/place/{place.pk}/change/",
        {"kind": "shelter", "name": "Birch House", "address": place.address, "notes": ""},
    )

    assert response.status_code == 302
    saved = Place.objects.get(pk=place.pk)
    assert (saved.name, saved.version) == ("Birch House", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["name", "notes"]


def test_the_admin_log_does_not_keep_the_name(client: Client, administrator: User) -> None:
    from django.contrib.admin.models import LogEntry

    place = PlaceFactory(name="Willow House")
    sign_in(client, administrator).post(
        f"/admin/places/place/{place.pk}/change/",
        {"kind": "shelter", "name": "Birch House", "address": "", "notes": ""},
    )

    assert LogEntry.objects.get().object_repr == f"place {place.pk}"
