"""Staff never see a shelter's address, wherever they look."""

import pytest
from django.test import Client

from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import PlaceFactory

ADDRESS = "7 Hidden Lane, Northtown"
NOTES = "Ring twice; door code 4821."


@pytest.mark.parametrize(
    "url",
    [
        "/places/",
        "/places/{code}/",
        "/places/{code}/edit/",
        "/admin/places/place/",
        "/admin/places/place/{code}/change/",
        "/",
    ],
)
def test_staff_never_see_a_shelter_address_or_its_notes(
    client: Client, staff: User, url: str
) -> None:
    place = PlaceFactory(kind="shelter", address=ADDRESS, notes=NOTES)

    response = sign_in(client, staff).get(url.format(code=place.pk), follow=True)

    assert b"Hidden Lane" not in response.content
    assert b"4821" not in response.content
