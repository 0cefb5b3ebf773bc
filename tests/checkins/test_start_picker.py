"""Where a check-in happens is found by typing, never listed: the form shows the situation's
place (archived or not) and decrypts no other place's name; a plain "Find" (without
JavaScript) brings the form back with everything typed and the matches."""

import pytest
from django.test import Client

from checkins.models import CheckIn
from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import PlaceFactory, RiskSituationFactory
from tests.picking import opened_on, queries_on, values

pytestmark = pytest.mark.django_db

URL = "/checkins/start/"


def test_the_form_lists_no_place_and_decrypts_none(client: Client, staff: User) -> None:
    place = PlaceFactory()
    sign_in(client, staff)
    forget_cached_names()

    response, opened = opened_on(client, URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "place") == [""]
    assert "Not one of our places" in page and 'name="place_find"' in page
    assert place.name not in page
    assert opened["places.Place.name"] == 0


def test_a_situations_check_in_shows_its_place_even_archived_and_no_other(
    client: Client, staff: User, other_staff: User
) -> None:
    place, other = PlaceFactory(), PlaceFactory()
    situation = RiskSituationFactory(participants=[staff], check_in_with=other_staff, place=place)
    Place.objects.filter(pk=place.pk).update(archived=True)
    sign_in(client, staff)

    response, opened = opened_on(client, f"{URL}for/{situation.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'name="place" value="{place.pk}" checked>{place.name} (Shelter)' in page
    assert other.name not in page and str(other.pk) not in page
    assert opened["places.Place.name"] == 1


def test_the_form_runs_as_many_queries_however_many_places_there_are(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)

    before, after = queries_on(client, URL, lambda: PlaceFactory.create_batch(30))

    assert before == after


def test_find_without_javascript_keeps_what_was_typed_and_shows_the_matches(
    client: Client, staff: User, other_staff: User
) -> None:
    wanted, other = PlaceFactory(name="Harbour House"), PlaceFactory()
    sign_in(client, staff)
    sent = {
        "activity": "Outreach at the night market",
        "by": "22:00",
        "watchers": [other_staff.pk],
        "grace_minutes": "10",
        "place_find": "harbour",
        "find": "place",
    }

    response = client.post(URL, sent)

    assert response.status_code == 200
    assert not CheckIn.objects.exists()
    page = response.content.decode()
    assert "Outreach at the night market" in page and "This field is required" not in page
    assert values(page, "place") == ["", str(wanted.pk)]
    assert other.name not in page


def test_a_place_found_is_kept_when_the_check_in_starts(
    client: Client, staff: User, other_staff: User
) -> None:
    place = PlaceFactory()
    sign_in(client, staff)
    sent = {
        "activity": "Outreach",
        "place": str(place.pk),
        "by": "22:00",
        "watchers": [other_staff.pk],
        "grace_minutes": "10",
    }

    response = client.post(URL, sent)

    assert response.status_code == 302
    assert CheckIn.objects.get(person=staff).place == place
