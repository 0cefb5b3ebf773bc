"""Staff never see a shelter's address, wherever they look."""

import pytest
from django.test import Client

from safespaces.accounts.models import User
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import PlaceFactory

NAME = "Safe House North"
ADDRESS = "7 Hidden Lane, Northtown"
NOTES = "Ring twice; door code 4821."


@pytest.fixture
def shelter(db: None) -> Place:
    return PlaceFactory(kind="shelter", name=NAME, address=ADDRESS, notes=NOTES)


def assert_no_address(content: bytes) -> None:
    assert b"Hidden Lane" not in content
    assert b"4821" not in content


@pytest.mark.parametrize("url", ["/places/", "/places/{code}/"])
def test_staff_see_a_shelter_by_name_but_never_its_address_or_notes(
    client: Client, staff: User, shelter: Place, url: str
) -> None:
    response = sign_in(client, staff).get(url.format(code=shelter.pk))

    assert response.status_code == 200
    assert NAME.encode() in response.content
    assert_no_address(response.content)


def test_staff_are_refused_the_place_form_that_holds_the_address(
    client: Client, staff: User, shelter: Place
) -> None:
    response = sign_in(client, staff).get(f"/places/{shelter.pk}/edit/")

    assert response.status_code == 403
    assert b"This page is not for your role" in response.content
    assert_no_address(response.content)


@pytest.mark.parametrize("url", ["/admin/places/place/", "/admin/places/place/{code}/change/"])
def test_staff_are_sent_to_the_admin_sign_in_instead_of_the_place_admin(
    client: Client, staff: User, shelter: Place, url: str
) -> None:
    path = url.format(code=shelter.pk)

    response = sign_in(client, staff).get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"
    assert_no_address(response.content)


def test_staff_start_page_never_shows_a_shelter_address(
    client: Client, staff: User, shelter: Place
) -> None:
    response = sign_in(client, staff).get("/")

    assert response.status_code == 200
    assert b"Hello, Lin" in response.content
    assert_no_address(response.content)
