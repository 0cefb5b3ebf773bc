"""The place filters of the actor list, the actor map, the directory and the risk register find
by typing, never list: a page shows the place chosen and decrypts no other place's name (the
directory also names the areas it lists), runs as many queries however many places there are,
and a plain "Find" (a POST of the filter's own small form, so what is typed never lands in an
address) shows the matches with the filters of the address kept."""

import pytest
from django.test import Client

from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.conftest import sign_in
from tests.factories import PlaceFactory
from tests.picking import opened_on, queries_on, values

pytestmark = pytest.mark.django_db

# Each page with its place filter's name.
PAGES = [
    ("/allies/", "area"),
    ("/allies/map/", "area"),
    ("/allies/directory/", "area"),
    ("/risks/", "place"),
]


@pytest.mark.parametrize(("url", "name"), PAGES)
def test_the_filter_shows_only_the_place_chosen_and_decrypts_no_other(
    client: Client, coordinator: User, url: str, name: str
) -> None:
    # Shelters: the directory lists the areas, and these are not.
    chosen, other = PlaceFactory(), PlaceFactory()
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, f"{url}?{name}={chosen.pk}")

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, name) == ["", str(chosen.pk)]
    assert f'value="{chosen.pk}" checked>{chosen.name} (Shelter)' in page
    assert other.name not in page and str(other.pk) not in page
    assert opened["places.Place.name"] == 1
    assert f'name="{name}_find"' in page and 'form="filter-find"' in page


@pytest.mark.parametrize(("url", "name"), PAGES)
def test_the_page_runs_as_many_queries_however_many_places_there_are(
    client: Client, coordinator: User, url: str, name: str
) -> None:
    sign_in(client, coordinator)

    before, after = queries_on(
        client, f"{url}?{name}={PlaceFactory().pk}", lambda: PlaceFactory.create_batch(30)
    )

    assert before == after


@pytest.mark.parametrize(("url", "name"), PAGES)
def test_find_without_javascript_shows_the_matches_and_keeps_the_filters(
    client: Client, coordinator: User, url: str, name: str
) -> None:
    wanted, other = PlaceFactory(name="Harbour House"), PlaceFactory()
    sign_in(client, coordinator)

    response = client.post(f"{url}?{name}=", {f"{name}_find": "harbour", "find": name})

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, name) == ["", str(wanted.pk)]
    assert str(other.pk) not in page
    assert page.count("harbour") == 1 and 'value="harbour"' in page


@pytest.mark.parametrize(("url", "name"), PAGES)
def test_a_post_that_is_not_a_find_is_refused(
    client: Client, coordinator: User, url: str, name: str
) -> None:
    sign_in(client, coordinator)

    assert client.post(url, {f"{name}_find": "harbour"}).status_code == 405
    assert client.get(url).status_code == 200
