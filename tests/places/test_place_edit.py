from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import PlaceFactory

UNKNOWN = "/places/00000000-0000-4000-8000-000000000000/edit/"


def form_data(place: Place, **changes: object) -> dict[str, object]:
    data = {
        "kind": place.kind,
        "name": place.name,
        "address": place.address,
        "notes": place.notes,
        "version": place.version,
    }
    return {**data, **changes}


def test_a_coordinator_edits_a_place_and_the_change_names_fields_only(
    client: Client, coordinator: User
) -> None:
    place = PlaceFactory(address="7 Hidden Lane")

    response = sign_in(client, coordinator).post(
        f"/places/{place.pk}/edit/", form_data(place, address="9 Quiet Road")
    )

    assert response["Location"] == f"/places/{place.pk}/"
    saved = Place.objects.get(pk=place.pk)
    assert (saved.address, saved.version) == ("9 Quiet Road", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["address"]


def test_opening_the_form_shows_the_address_and_is_recorded_as_a_view(
    client: Client, coordinator: User
) -> None:
    place = PlaceFactory(address="7 Hidden Lane")

    response = sign_in(client, coordinator).get(f"/places/{place.pk}/edit/")

    assert b"7 Hidden Lane" in response.content
    assert b"Never share this address by phone or message." in response.content
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count() == 1


def test_the_form_carries_the_version_it_was_opened_at(client: Client, coordinator: User) -> None:
    place = PlaceFactory(version=4)

    response = sign_in(client, coordinator).get(f"/places/{place.pk}/edit/")

    assert response.status_code == 200
    assert b'type="hidden" name="version" value="4"' in response.content
    assert b"Version" not in response.content


def test_a_stale_form_is_refused_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    place = PlaceFactory(name="Willow House", address="7 Hidden Lane")
    sign_in(client, coordinator)
    stale = form_data(place, name="Willow House Two", notes="New back gate")
    Place.objects.filter(pk=place.pk).update(version=2)  # someone else saved meanwhile

    response = client.post(f"/places/{place.pk}/edit/", stale)

    assert response.status_code == 200
    assert (
        b"Someone else changed this place while you were editing. Your changes are below; "
        b"check them and save again."
    ) in response.content
    assert b'value="Willow House Two"' in response.content
    assert b"New back gate" in response.content
    assert b'name="version" value="2"' in response.content  # saving again keeps these changes
    assert Place.objects.get(pk=place.pk).name == "Willow House"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()
    resubmitted = client.post(f"/places/{place.pk}/edit/", {**stale, "version": 2})
    assert resubmitted.status_code == 302
    assert Place.objects.get(pk=place.pk).name == "Willow House Two"


def test_a_form_without_its_version_is_treated_as_stale(client: Client, coordinator: User) -> None:
    place = PlaceFactory(name="Willow House")
    data = form_data(place, name="Changed")
    del data["version"]

    response = sign_in(client, coordinator).post(f"/places/{place.pk}/edit/", data)

    assert b"Someone else changed this place" in response.content
    assert Place.objects.get(pk=place.pk).name == "Willow House"


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    place = PlaceFactory(name="Willow House")

    response = sign_in(client, coordinator).post(
        f"/places/{place.pk}/edit/", form_data(place, name="", address="9 Quiet Road")
    )

    assert response.status_code == 200
    assert b"Give the place a name." in response.content
    assert b"9 Quiet Road" in response.content
    assert Place.objects.get(pk=place.pk).name == "Willow House"


def test_staff_may_not_open_the_form_or_see_the_address_through_it(
    client: Client, staff: User
) -> None:
    place = PlaceFactory(address="7 Hidden Lane")
    sign_in(client, staff)

    page = client.get(f"/places/{place.pk}/edit/")
    post = client.post(f"/places/{place.pk}/edit/", form_data(place, name="Taken over"))

    assert page.status_code == 403 and b"Hidden Lane" not in page.content
    assert b"This page is not for your role" in page.content
    assert post.status_code == 403
    assert Place.objects.get(pk=place.pk).name != "Taken over"


def test_an_unknown_place_is_not_found(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).get(UNKNOWN).status_code == 404


def test_other_methods_are_refused(client: Client, coordinator: User) -> None:
    place = PlaceFactory()

    assert sign_in(client, coordinator).delete(f"/places/{place.pk}/edit/").status_code == 405
