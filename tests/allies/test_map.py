import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, PlaceFactory, RelationFactory


def marks(page: str) -> list[str]:
    """The actor codes the map's marks link to."""
    return re.findall(r'<a href="/allies/([0-9a-f-]{36})/" aria-label=', page)


def test_staff_see_allies_without_their_relations(client: Client, staff: User) -> None:
    ally, other_ally, adversary = ActorFactory(), ActorFactory(), AdversaryFactory()
    neutral = ActorFactory(stance="neutral", trust=None, in_directory=False)
    RelationFactory(source=ally, kind="alliance", target=other_ally)
    RelationFactory(source=adversary, kind="control", target=ally)

    response = sign_in(client, staff).get("/allies/map/")

    assert response.status_code == 200
    page = response.content.decode()
    assert sorted(marks(page)) == sorted([str(ally.pk), str(other_ally.pk)])
    assert adversary.name not in page and neutral.name not in page
    assert "2 allies by power, from 1 at the bottom to 5 at the top." in page
    # How actors stand to each other is analysis for coordinators: no line, no key.
    assert 'class="relation ' not in page
    assert "map-column-ally" in page and "map-column-adversary" not in page


def test_coordinators_see_every_stance_with_typed_relations(
    client: Client, coordinator: User
) -> None:
    ally, adversary = ActorFactory(name="Harbour Shelter"), AdversaryFactory(name="Blue Door")
    RelationFactory(source=adversary, kind="control", target=ally)

    page = sign_in(client, coordinator).get("/allies/map/").content.decode()

    assert sorted(marks(page)) == sorted([str(ally.pk), str(adversary.pk)])
    assert 'aria-label="Blue Door: Criminal network, Adversary, power 4"' in page
    # Control reads one way: the line carries an arrowhead.
    assert re.search(r'class="relation relation-control" marker-end="url\(#arrow\)"><title>', page)


def test_the_map_filters_by_sector_and_area(client: Client, coordinator: User) -> None:
    area = PlaceFactory(kind="area")
    shelter = ActorFactory(sector="shelter", areas=[area])
    police = ActorFactory(sector="police", areas=[area])
    elsewhere = ActorFactory(sector="shelter")
    national = ActorFactory(sector="shelter", serves_everywhere=True)
    sign_in(client, coordinator)

    by_sector = marks(client.get("/allies/map/?sector=shelter").content.decode())
    by_area = marks(client.get(f"/allies/map/?area={area.pk}").content.decode())

    assert sorted(by_sector) == sorted(str(a.pk) for a in (shelter, elsewhere, national))
    assert sorted(by_area) == sorted(str(a.pk) for a in (shelter, police, national))


def test_the_map_is_plain_svg_that_needs_no_script(client: Client, coordinator: User) -> None:
    ActorFactory()

    page = sign_in(client, coordinator).get("/allies/map/").content.decode()

    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "<script" not in svg and "style=" not in svg
    assert re.search(r'viewBox="0 0 \d+ 760" width="\d+" height="760"', svg)
    assert "The map as a list" in page  # the same content as a table, for screen readers


def test_right_to_left_the_ally_column_is_on_the_left(client: Client, coordinator: User) -> None:
    def column_x(page: str, stance: str) -> float:
        found = re.search(rf'<rect x="([\d.]+)"[^>]*class="map-column map-column-{stance}"', page)
        assert found, stance
        return float(found.group(1))

    sign_in(client, coordinator)
    ltr = client.get("/allies/map/").content.decode()
    with override_settings(LANGUAGES=[("ar", "Arabic"), ("en", "English")]):
        rtl = client.get("/allies/map/", headers={"accept-language": "ar"}).content.decode()

    assert 'dir="rtl"' in rtl
    assert column_x(ltr, "ally") > column_x(ltr, "adversary")
    assert column_x(rtl, "ally") < column_x(rtl, "adversary")
    translation.activate("en")


@pytest.mark.parametrize("persona", ["staff", "coordinator"])
def test_the_maps_query_count_does_not_grow_with_the_number_of_actors(
    persona: str, request: pytest.FixtureRequest, client: Client
) -> None:
    sign_in(client, request.getfixturevalue(persona))
    area = PlaceFactory(kind="area")

    def add_actors(count: int) -> None:
        for _ in range(count):
            ally = ActorFactory(areas=[area], capabilities=["shelter", "legal_aid"])
            adversary = AdversaryFactory(areas=[area])
            RelationFactory(source=adversary, target=ally, kind="control")
            RelationFactory(source=ally, target=ActorFactory(areas=[area]), kind="alliance")

    def queries_for_map() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = client.get(f"/allies/map/?area={area.pk}")
        assert page.status_code == 200 and marks(page.content.decode())
        drawn = 'class="relation relation-alliance"' in page.content.decode()
        assert drawn == (persona == "coordinator")  # staff see no relations
        return len(captured)

    add_actors(2)
    queries_for_map()  # the first request of a session does some housekeeping
    few = queries_for_map()
    add_actors(40)
    many = queries_for_map()

    assert few == many
