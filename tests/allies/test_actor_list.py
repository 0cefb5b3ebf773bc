import re
from collections import Counter
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allies.models import Actor
from allies.views import ACTOR_PAGE_SIZE
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.crypto.cipher import open_binary
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    EngagementFactory,
    PlaceFactory,
    UserFactory,
)

URL = "/allies/"


def row_of(content: bytes, name: str) -> str:
    """The one table row that names `name`."""
    rows = [row for row in content.decode().split("<tr>") if name in row]
    assert len(rows) == 1, f"{name} is in {len(rows)} rows"
    return rows[0]


def test_staff_see_allies_only(client: Client, staff: User) -> None:
    ActorFactory(name="Harbour Shelter")
    AdversaryFactory(name="Blue Door Crew")
    ActorFactory(name="City Council", stance="neutral", trust=None, in_directory=False)
    ActorFactory(name="Port Authority", stance="unknown", trust=None, in_directory=False)

    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    assert b"Harbour Shelter" in response.content
    assert b"Blue Door Crew" not in response.content
    assert b"City Council" not in response.content
    assert b"Port Authority" not in response.content


def test_coordinators_see_every_stance(client: Client, coordinator: User) -> None:
    ActorFactory(name="Harbour Shelter")
    AdversaryFactory(name="Blue Door Crew")
    ActorFactory(name="City Council", stance="neutral", trust=None, in_directory=False)
    ActorFactory(name="Port Authority", stance="unknown", trust=None, in_directory=False)

    response = sign_in(client, coordinator).get(URL)

    for name in ["Harbour Shelter", "Blue Door Crew", "City Council", "Port Authority"]:
        assert name.encode() in response.content
    assert "Adversary" in row_of(response.content, "Blue Door Crew")


def test_administrators_see_adversaries_too(client: Client, administrator: User) -> None:
    AdversaryFactory(name="Blue Door Crew")

    assert b"Blue Door Crew" in sign_in(client, administrator).get(URL).content


def test_staff_cannot_widen_their_list_with_a_stance_filter(client: Client, staff: User) -> None:
    ActorFactory(name="Harbour Shelter")
    AdversaryFactory(name="Blue Door Crew")

    response = sign_in(client, staff).get(URL, {"stance": "adversary", "archived": "on"})

    assert response.status_code == 200
    assert b"Blue Door Crew" not in response.content
    assert b"Harbour Shelter" in response.content  # the filters staff may not use are ignored
    assert b'name="stance"' not in response.content


def test_the_sector_filter_keeps_actors_of_that_sector(client: Client, staff: User) -> None:
    ActorFactory(name="Harbour Shelter", sector="shelter")
    ActorFactory(name="Quay Legal Clinic", sector="legal")

    response = sign_in(client, staff).get(URL, {"sector": "legal"})

    assert response.status_code == 200
    assert b"Quay Legal Clinic" in response.content
    assert b"Harbour Shelter" not in response.content


def test_the_stance_filter_keeps_actors_of_that_stance(client: Client, coordinator: User) -> None:
    ActorFactory(name="Harbour Shelter")
    AdversaryFactory(name="Blue Door Crew")
    ActorFactory(name="City Council", stance="neutral", trust=None, in_directory=False)

    response = sign_in(client, coordinator).get(URL, {"stance": "neutral"})

    assert response.status_code == 200
    assert b"City Council" in response.content
    assert b"Harbour Shelter" not in response.content
    assert b"Blue Door Crew" not in response.content


def test_the_capability_filter_keeps_actors_offering_it(client: Client, staff: User) -> None:
    ActorFactory(name="Harbour Shelter", capabilities=["shelter", "referral"])
    ActorFactory(name="Quay Legal Clinic", capabilities=["legal_aid"])

    response = sign_in(client, staff).get(URL, {"capability": "legal_aid"})

    assert response.status_code == 200
    assert b"Quay Legal Clinic" in response.content
    assert b"Harbour Shelter" not in response.content


def test_the_area_filter_keeps_actors_serving_it_or_serving_everywhere(
    client: Client, staff: User
) -> None:
    northtown, southtown = PlaceFactory(kind="area"), PlaceFactory(kind="area")
    ActorFactory(name="Northtown Shelter", areas=[northtown])
    ActorFactory(name="Southtown Shelter", areas=[southtown])
    ActorFactory(name="National Hotline", serves_everywhere=True)

    response = sign_in(client, staff).get(URL, {"area": str(northtown.pk)})

    assert response.status_code == 200
    assert b"Northtown Shelter" in response.content
    assert b"National Hotline" in response.content
    assert b"Southtown Shelter" not in response.content


def test_an_actor_serving_an_area_twice_is_listed_once(client: Client, staff: User) -> None:
    northtown = PlaceFactory(kind="area")
    ActorFactory(name="Northtown Shelter", areas=[northtown], serves_everywhere=True)

    response = sign_in(client, staff).get(URL, {"area": str(northtown.pk)})

    assert response.content.count(b"Northtown Shelter") == 1


def test_archived_actors_are_listed_only_when_a_coordinator_asks(
    client: Client, coordinator: User
) -> None:
    ActorFactory(name="Harbour Shelter")
    ActorFactory(name="Old Refuge", archived=True, in_directory=False)
    sign_in(client, coordinator)

    default = client.get(URL)
    archived = client.get(URL, {"archived": "on"})

    assert b"Old Refuge" not in default.content and b"Harbour Shelter" in default.content
    assert b"Old Refuge" in archived.content and b"Harbour Shelter" not in archived.content
    assert "archived" in row_of(archived.content, "Old Refuge")


def test_staff_never_see_archived_actors(client: Client, staff: User) -> None:
    ActorFactory(name="Old Refuge", archived=True, in_directory=False)
    ActorFactory(name="Harbour Shelter")

    response = sign_in(client, staff).get(URL, {"archived": "on"})

    assert response.status_code == 200
    assert b"Harbour Shelter" in response.content
    assert b"Old Refuge" not in response.content


def test_an_ally_asked_more_than_the_limit_in_90_days_is_tagged_asked_often(
    client: Client, staff: User
) -> None:
    limit = settings.ALLY_ASKED_OFTEN_AFTER
    weary, fine = ActorFactory(name="Weary Shelter"), ActorFactory(name="Rested Shelter")
    kinds = ["request", "referral"] * limit
    for kind in kinds[: limit + 1]:
        EngagementFactory(actor=weary, kind=kind)
    EngagementFactory.create_batch(limit, actor=fine, kind="request")

    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    assert "asked often" in row_of(response.content, "Weary Shelter")
    assert "asked often" not in row_of(response.content, "Rested Shelter")


def test_meetings_and_requests_from_90_days_ago_do_not_count_as_asking(
    client: Client, staff: User
) -> None:
    limit = settings.ALLY_ASKED_OFTEN_AFTER
    ally = ActorFactory(name="Rested Shelter")
    EngagementFactory.create_batch(limit, actor=ally, kind="request")
    EngagementFactory(actor=ally, kind="meeting")
    EngagementFactory(actor=ally, kind="request", date=timezone.localdate() - timedelta(days=90))

    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    assert "asked often" not in row_of(response.content, "Rested Shelter")


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_list_only_answers_reads(client: Client, staff: User, method: str) -> None:
    assert getattr(sign_in(client, staff), method)(URL).status_code == 405


def names_opened(client: Client, url: str, query: dict[str, str] | None = None) -> tuple[int, int]:
    """The status of a page, and how many actor names it decrypted."""
    opened: Counter[bytes] = Counter()

    def counting(token: bytes, *, associated_data: bytes) -> bytes:
        opened[associated_data] += 1
        return open_binary(token, associated_data=associated_data)

    with patch("safespaces.crypto.fields.open_binary", counting):
        response = client.get(url, query or {})
    names = sum(n for key, n in opened.items() if key.startswith(b"allies.Actor\x1fname"))
    return response.status_code, names


class TestALongList(TestCase):
    """More actors than a page holds: 60 of power 2, one of power 5, one adversary."""

    staff: User
    coordinator: User
    strongest: Actor
    allies: list[Actor]
    adversary: Actor

    @classmethod
    def setUpTestData(cls) -> None:
        cls.staff = UserFactory(role=Role.STAFF)
        cls.coordinator = UserFactory(role=Role.COORDINATOR)
        cls.strongest = ActorFactory(name="Strongest Shelter", power=5)
        cls.allies = ActorFactory.create_batch(ACTOR_PAGE_SIZE + 10, power=2, sector="legal")
        cls.adversary = AdversaryFactory(name="Blue Door Crew", power=2)

    def test_it_shows_one_page_strongest_first_and_decrypts_only_its_names(self) -> None:
        client = sign_in(self.client, self.staff)
        client.get("/")  # the first request of a session does some housekeeping

        status, names = names_opened(client, URL)
        page = client.get(URL).content.decode()

        assert status == 200
        assert names == ACTOR_PAGE_SIZE
        assert len(re.findall(r'<a href="/allies/[0-9a-f-]{36}/">', page)) == ACTOR_PAGE_SIZE
        assert page.index("Strongest Shelter") < page.index(self.allies[0].name)
        assert "61 actors, strongest first" in page and "Page 1 of 2" in page
        assert "Blue Door Crew" not in page

    def test_the_next_page_has_the_rest_and_keeps_the_filters(self) -> None:
        client = sign_in(self.client, self.staff)

        first = client.get(URL, {"sector": "legal"}).content.decode()
        second = client.get(URL, {"sector": "legal", "page": "2"})

        assert 'href="?sector=legal&amp;page=2" rel="next"' in first
        assert second.status_code == 200
        listed = re.findall(r'<a href="/allies/([0-9a-f-]{36})/">', second.content.decode())
        assert listed == [str(actor.pk) for actor in self.allies[ACTOR_PAGE_SIZE:]]
        assert "Page 2 of 2" in second.content.decode()

    def test_the_power_and_stance_filters_keep_one_cell_of_the_map(self) -> None:
        client = sign_in(self.client, self.coordinator)

        response = client.get(URL, {"stance": "adversary", "power": "2"})

        assert response.status_code == 200
        page = response.content.decode()
        assert "Blue Door Crew" in page and "1 actor, strongest first" in page
        assert "Strongest Shelter" not in page and self.allies[0].name not in page

    def test_the_query_count_does_not_grow_with_the_page(self) -> None:
        client = sign_in(self.client, self.coordinator)
        client.get("/")

        with CaptureQueriesContext(connection) as one:
            assert client.get(URL, {"power": "5"}).status_code == 200
        with CaptureQueriesContext(connection) as fifty:
            assert client.get(URL).status_code == 200

        assert len(one) == len(fifty)
