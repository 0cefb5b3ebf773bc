"""The place and source filters of the incident list and the trends find by typing, never list:
a page shows the place and source chosen and decrypts no other name, runs as many queries
however many places and actors there are, and a plain "Find" (a POST of the filter's own small
form, so what is typed never lands in an address) shows the matches with the filters kept."""

import re

import pytest
from django.test import Client

from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.conftest import sign_in
from tests.factories import ActorFactory, IncidentFactory, PlaceFactory
from tests.picking import opened_on, queries_on, values

pytestmark = pytest.mark.django_db

PAGES = ["/incidents/", "/incidents/trends/"]


@pytest.mark.parametrize("url", PAGES)
def test_the_filters_show_only_the_place_and_source_chosen_and_decrypt_no_other(
    client: Client, staff: User, url: str
) -> None:
    place, other_place = PlaceFactory(), PlaceFactory()
    source, other_source = ActorFactory(), ActorFactory()
    sign_in(client, staff)
    forget_cached_names()

    response, opened = opened_on(client, f"{url}?place={place.pk}&source={source.pk}")

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "place") == ["", str(place.pk)]
    assert values(page, "source") == ["", str(source.pk)]
    assert f'value="{place.pk}" checked>{place.name} (Shelter)' in page
    assert f'value="{source.pk}" checked>{source.name} (Ally)' in page
    for other in (other_place, other_source):
        assert other.name not in page and str(other.pk) not in page
    assert (opened["places.Place.name"], opened["allies.Actor.name"]) == (1, 1)
    # The search box and its "Find" belong to a POST form of their own, never to the filter.
    assert 'name="place_find" id="id_place_find" value="" maxlength="80"' in page
    assert re.search(r'<input type="search" name="place_find"[^>]* form="filter-find">', page)
    assert re.search(r'<form id="filter-find" method="post" hidden><input type="hidden"', page)


@pytest.mark.parametrize("url", PAGES)
def test_the_filters_run_as_many_queries_however_many_places_and_actors_there_are(
    client: Client, staff: User, url: str
) -> None:
    place = PlaceFactory()
    IncidentFactory(place=place, reporter=staff)
    sign_in(client, staff)

    def grow() -> None:
        PlaceFactory.create_batch(30)
        ActorFactory.create_batch(30)

    before, after = queries_on(client, f"{url}?place={place.pk}", grow)

    assert before == after


@pytest.mark.parametrize("url", PAGES)
def test_find_without_javascript_shows_the_matches_and_keeps_the_filters(
    client: Client, staff: User, url: str
) -> None:
    wanted, other = PlaceFactory(name="Harbour House"), PlaceFactory()
    sign_in(client, staff)

    response = client.post(f"{url}?kind=threat", {"place_find": "harbour", "find": "place"})

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "place") == ["", str(wanted.pk)]
    assert str(other.pk) not in page
    assert 'value="threat" selected' in page  # the filters of the address stay
    assert '<details class="filter-panel' in page and " open>" in page
    # What was typed is in the search box only: no link or address carries it.
    assert page.count("harbour") == 1 and 'value="harbour"' in page


@pytest.mark.parametrize("url", PAGES)
def test_a_post_that_is_not_a_find_is_refused(client: Client, staff: User, url: str) -> None:
    sign_in(client, staff)

    assert client.post(url, {"place_find": "harbour"}).status_code == 405
    assert client.get(url).status_code == 200
