import re
from collections import Counter
from unittest.mock import patch

import pytest
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from allies.actor_map import PER_CELL
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from safespaces.crypto.cipher import open_binary
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    PlaceFactory,
    RelationFactory,
    UserFactory,
)


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
    assert re.search(r'<svg [^>]*class="map-svg"', page)


def test_the_map_is_also_a_list_by_stance_and_power_with_names_in_full(
    client: Client, coordinator: User
) -> None:
    long_name = "Northtown Community Legal Advice Centre"
    ally = ActorFactory(name=long_name, power=2)
    adversary = AdversaryFactory(name="Blue Door")
    RelationFactory(source=adversary, kind="control", target=ally)

    response = sign_in(client, coordinator).get("/allies/map/")

    assert response.status_code == 200
    page = response.content.decode()
    listed = page[
        page.index('<section class="map-list"') : page.index('<section class="map-drawing"')
    ]
    stances = re.findall(r'<h3 class="map-stance map-stance-(\w+)">', listed)
    assert stances == ["adversary", "ally"]
    assert f'<a href="/allies/{ally.pk}/">{long_name}</a>' in listed
    assert listed.index("Blue Door") < listed.index(long_name)
    assert "<dt>Power 2</dt>" in listed and "<dt>Power 4</dt>" in listed
    assert f"<li>Blue Door · controls · {long_name}</li>" in listed
    # The drawing is on the page too, one tap away, and shortens the name with its full title.
    assert '<a href="#map-drawing">' in page and 'id="map-drawing"' in page
    assert f"<title>{long_name}</title>" in page
    assert "{#" not in page  # a template comment left on the page


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


@pytest.mark.parametrize("persona", ["staff", "coordinator"])
def test_each_name_is_decrypted_once_and_the_page_is_audited_as_one_listing(
    persona: str, request: pytest.FixtureRequest, client: Client, db: None
) -> None:
    user = request.getfixturevalue(persona)
    shelter, clinic = ActorFactory(name="Harbour Shelter"), ActorFactory(name="Northtown Clinic")
    adversary = AdversaryFactory(name="Blue Door Network")
    RelationFactory(source=adversary, kind="control", target=shelter)
    RelationFactory(source=shelter, kind="alliance", target=clinic)
    sign_in(client, user)
    client.get("/")  # the first request of a session does some housekeeping
    opened: Counter[bytes] = Counter()

    def counting(token: bytes, *, associated_data: bytes) -> bytes:
        opened[associated_data] += 1
        return open_binary(token, associated_data=associated_data)

    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with patch("safespaces.crypto.fields.open_binary", counting):
        response = client.get("/allies/map/")

    assert response.status_code == 200
    shown = [shelter, clinic] if persona == "staff" else [shelter, clinic, adversary]
    names = {key: n for key, n in opened.items() if key.startswith(b"allies.Actor\x1fname")}
    assert names == {b"allies.Actor\x1fname\x1f" + actor.pk.bytes: 1 for actor in shown}
    # One event for the page: a listing of the actors whose names it shows.
    event = AuditEvent.objects.get(id__gt=before)
    assert event.action == AuditEvent.Action.LIST and event.actor == user
    assert event.object_type == "allies.actor"
    assert sorted(event.shown) == sorted(f"allies.actor:{actor.pk}" for actor in shown)


class TestALargeOrganization(TestCase):
    """300 actors: 200 allies of power 3, 60 of power 5, 40 adversaries of power 4."""

    staff: User
    coordinator: User
    area: Place

    @classmethod
    def setUpTestData(cls) -> None:
        cls.staff = UserFactory(role=Role.STAFF)
        cls.coordinator = UserFactory(role=Role.COORDINATOR)
        cls.area = PlaceFactory(kind="area")
        ActorFactory.create_batch(200, power=3, capabilities=[])
        ActorFactory.create_batch(60, power=5, capabilities=[], areas=[cls.area])
        AdversaryFactory.create_batch(40, power=4)

    def names_opened(self, url: str) -> tuple[str, int]:
        opened: Counter[bytes] = Counter()

        def counting(token: bytes, *, associated_data: bytes) -> bytes:
            opened[associated_data] += 1
            return open_binary(token, associated_data=associated_data)

        with patch("safespaces.crypto.fields.open_binary", counting):
            response = self.client.get(url)
        assert response.status_code == 200
        names = sum(n for key, n in opened.items() if key.startswith(b"allies.Actor\x1fname"))
        return response.content.decode(), names

    def test_each_cell_draws_a_few_and_counts_the_rest(self) -> None:
        sign_in(self.client, self.coordinator)

        page, names = self.names_opened("/allies/map/")

        assert len(marks(page)) == 3 * PER_CELL
        assert names == 3 * PER_CELL  # only the names drawn, each once
        assert f"+{200 - PER_CELL} more" in page and f"+{40 - PER_CELL} more" in page
        assert 'href="/allies/?stance=ally&amp;power=3"' in page
        assert "300 actors by stance" in page
        assert f"{3 * PER_CELL} of them are drawn" in page

    def test_the_list_for_phones_names_as_many_and_links_to_all(self) -> None:
        sign_in(self.client, self.staff)

        page, _names = self.names_opened("/allies/map/")

        listed = page[
            page.index('<section class="map-list"') : page.index('<section class="map-drawing"')
        ]
        assert len(re.findall(r'<li><a href="/allies/[0-9a-f-]{36}/">', listed)) == 2 * PER_CELL
        assert '<a href="/allies/?stance=ally&amp;power=5">Show all 60</a>' in listed
        assert "Show all 200" in listed and "(260)" in listed
        assert "adversary" not in listed.lower()

    def test_the_links_keep_the_maps_filters_and_open_the_cells_actors(self) -> None:
        sign_in(self.client, self.coordinator)

        page, names = self.names_opened(f"/allies/map/?area={self.area.pk}")
        link = f"/allies/?stance=ally&power=5&area={self.area.pk}"
        listed = self.client.get(link)

        assert names == PER_CELL and f"+{60 - PER_CELL} more" in page
        assert f'href="{link.replace("&", "&amp;")}"' in page
        assert listed.status_code == 200 and "60 actors, strongest first" in listed.content.decode()
