"""The pickers' search views (places, actors, people, colleagues): at most 20 matches, among
the records the user may pick only, each shown name audited, what was typed neither in the
address nor in the audit trail or the logs; and each name decrypted once per process, again
after it changes."""

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from unittest.mock import patch

import pytest
from django.db import transaction
from django.test import Client
from pytest_django import DjangoDbBlocker

from allies.models import Actor
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from safespaces.crypto.cipher import open_binary, open_sealed
from safespaces.people.models import Person
from safespaces.pickers import LIMIT, forget_cached_names
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import UserFactory

TYPED = "Lantern"


@pytest.fixture(scope="module", autouse=True)
def rows(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """30 lantern places and one archived; 30 lantern allies and 3 lantern adversaries; 30
    lantern people and one archived. Built once, rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        Place.objects.bulk_create(
            [Place(kind="shelter", name=f"Lantern House {n}") for n in range(30)]
            + [Place(kind="office", name="Lantern Old Office", archived=True)]
        )
        Actor.objects.bulk_create(
            [
                Actor(kind="organization", sector="shelter", stance="ally", power=3, name=name)
                for name in [f"Lantern Aid {n}" for n in range(30)]
            ]
            + [
                Actor(kind="group", sector="criminal_network", stance="adversary", power=4, name=n)
                for n in ["Lantern Crew 1", "Lantern Crew 2", "Lantern Crew 3"]
            ]
        )
        Person.objects.bulk_create(
            [Person(alias=f"Lantern Moth {n}", relation="member") for n in range(30)]
            + [Person(alias="Lantern Gone", relation="member", archived_at="2026-01-01T00:00Z")]
        )
        yield
        transaction.set_rollback(True)


def found(response: object) -> list[str]:
    """The labels of the matches in a search's answer."""
    return re.findall(r'value="[^"]+">([^<]+)</label>', response.content.decode())  # type: ignore[attr-defined]


def last_event() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def search(client: Client, url: str, query: str, **more: object) -> object:
    return client.post(url, {"q": query, "name": "field", **more})


def test_a_place_search_shows_at_most_20_and_says_more_match(client: Client, staff: User) -> None:
    response = search(sign_in(client, staff), "/places/pick/", "lantern")

    assert response.status_code == 200  # type: ignore[attr-defined]
    labels = found(response)
    assert len(labels) == LIMIT
    assert all(label.startswith("Lantern House") for label in labels)
    assert b"There are more: type a little more" in response.content  # type: ignore[attr-defined]


def test_a_search_finds_by_kind_and_leaves_out_archived_places(
    client: Client, coordinator: User
) -> None:
    response = search(sign_in(client, coordinator), "/places/pick/", "lantern office")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert found(response) == []
    assert b"Nothing matches" in response.content  # type: ignore[attr-defined]
    by_kind = found(search(client, "/places/pick/", "house 7 shelter"))
    assert by_kind == [f"Lantern House {n} (Shelter)" for n in (7, 17, 27)]


def test_staff_find_allies_and_coordinators_adversaries_too(
    client: Client, staff: User, coordinator: User
) -> None:
    by_staff = search(sign_in(client, staff), "/allies/pick/", "lantern crew")
    by_coordinator = search(sign_in(Client(), coordinator), "/allies/pick/", "lantern crew")
    allies = search(client, "/allies/pick/", "aid 1")

    assert by_staff.status_code == by_coordinator.status_code == 200  # type: ignore[attr-defined]
    assert found(by_staff) == []
    assert found(by_coordinator) == [f"Lantern Crew {n} (Adversary)" for n in (1, 2, 3)]
    assert found(allies)[0] == "Lantern Aid 1 (Ally)"


def test_a_person_search_finds_aliases_of_people_not_archived(
    client: Client, coordinator: User
) -> None:
    response = search(sign_in(client, coordinator), "/people/pick/", "moth 2", multiple="1")

    assert response.status_code == 200  # type: ignore[attr-defined]
    # Whole words first: Moth 2 and 20 to 29 before Moth 12.
    expected = ["Lantern Moth 2", *[f"Lantern Moth {n}" for n in range(20, 30)], "Lantern Moth 12"]
    assert found(response) == expected
    assert 'type="checkbox" name="field"' in response.content.decode()  # type: ignore[attr-defined]
    assert found(search(client, "/people/pick/", "gone")) == []


def test_a_colleague_search_finds_active_team_members_by_name_and_audits_them(
    client: Client, staff: User
) -> None:
    keeper = UserFactory(display_name="Lantern Keeper", role=Role.COORDINATOR)
    UserFactory(display_name="Lantern Without Role")
    UserFactory(display_name="Lantern Gone", role=Role.STAFF, is_active=False)
    sign_in(client, staff)
    before = last_event()

    response = search(client, "/colleagues/pick/", "keeper lantern")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert found(response) == ["Lantern Keeper"]
    event = AuditEvent.objects.get(id__gt=before)
    assert (event.action, event.object_type) == (AuditEvent.Action.LIST, "accounts.user")
    assert event.shown == [f"accounts.user:{keeper.pk}"]
    assert search(client, "/colleagues/pick/", "lantern").content.count(b"<label>") == 1  # type: ignore[attr-defined]


def test_matches_already_chosen_are_neither_shown_nor_audited(client: Client, staff: User) -> None:
    keeper = UserFactory(display_name="Lantern Keeper", role=Role.COORDINATOR)
    sign_in(client, staff)
    before = last_event()

    all_chosen = search(client, "/colleagues/pick/", "keeper", chosen=[str(keeper.pk)])
    one_left = search(client, "/places/pick/", "lantern house 2")
    chosen_place = re.findall(r'value="([0-9a-f-]{36})"', one_left.content.decode())[0]  # type: ignore[attr-defined]
    after_places = last_event()
    less = search(client, "/places/pick/", "lantern house 2", chosen=[chosen_place])

    assert all_chosen.status_code == less.status_code == 200  # type: ignore[attr-defined]
    assert found(all_chosen) == []
    assert b"Lantern Keeper" not in all_chosen.content  # type: ignore[attr-defined]
    # Only the places search wrote an event before: the all-chosen one showed no one.
    assert AuditEvent.objects.filter(id__gt=before, id__lte=after_places).count() == 1
    event = AuditEvent.objects.get(id__gt=after_places)
    assert f"places.place:{chosen_place}" not in event.shown
    assert len(event.shown) == len(found(less)) == 11


def test_what_is_chosen_already_is_not_offered_again(client: Client, staff: User) -> None:
    chosen = str(next(p.pk for p in Place.objects.all() if p.name == "Lantern House 1"))

    response = search(sign_in(client, staff), "/places/pick/", "house 1", chosen=[chosen])

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Lantern House 1 (Shelter)" in found(search(client, "/places/pick/", "house 1"))
    assert chosen not in response.content.decode()  # type: ignore[attr-defined]
    assert "Lantern House 10 (Shelter)" in found(response)


def test_the_names_shown_are_audited_and_what_was_typed_is_not_kept_anywhere(
    client: Client, staff: User, caplog: pytest.LogCaptureFixture
) -> None:
    sign_in(client, staff)
    before = last_event()

    with caplog.at_level(logging.DEBUG):
        response = search(client, "/places/pick/", f"{TYPED} house 2")

    assert response.status_code == 200  # type: ignore[attr-defined]
    shown = re.findall(r'value="([0-9a-f-]{36})"', response.content.decode())  # type: ignore[attr-defined]
    assert len(shown) == 12  # Lantern House 2, 12 and 20 to 29
    event = AuditEvent.objects.get(id__gt=before)
    assert (event.action, event.actor, event.object_type) == (
        AuditEvent.Action.LIST,
        staff,
        "places.place",
    )
    assert sorted(event.shown) == sorted(f"places.place:{pk}" for pk in shown)
    assert TYPED.casefold() not in str(vars(event)).casefold()
    assert TYPED.casefold() not in caplog.text.casefold()


def test_a_search_that_finds_nothing_records_nothing(client: Client, staff: User) -> None:
    sign_in(client, staff)
    before = last_event()

    response = search(client, "/places/pick/", "no such place")

    assert response.status_code == 200  # type: ignore[attr-defined]
    assert b"Nothing matches" in response.content  # type: ignore[attr-defined]
    assert last_event() == before


@pytest.mark.parametrize(
    "url", ["/places/pick/", "/allies/pick/", "/people/pick/", "/colleagues/pick/"]
)
def test_a_search_takes_a_post_so_what_is_typed_never_lands_in_an_address(
    client: Client, staff: User, url: str
) -> None:
    sign_in(client, staff)

    assert client.get(f"{url}?q=lantern&name=field").status_code == 405
    assert search(client, url, "lantern").status_code == 200  # type: ignore[attr-defined]


def test_a_field_name_that_is_not_one_is_refused(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post("/places/pick/", {"q": "lantern", "name": '"><script>'})

    assert response.status_code == 400


def count_opened(do: Callable[[], object]) -> Counter[str]:
    """How many values `do` decrypted, by model (stored as bytes, or as text from before)."""
    opened: Counter[str] = Counter()

    def counted(opening: Callable[..., bytes]) -> Callable[..., bytes]:
        def counting(token: Any, *, associated_data: bytes) -> bytes:
            opened[associated_data.split(b"\x1f")[0].decode()] += 1
            return opening(token, associated_data=associated_data)

        return counting

    with (
        patch("safespaces.crypto.fields.open_binary", counted(open_binary)),
        patch("safespaces.crypto.fields.open_sealed", counted(open_sealed)),
    ):
        do()
    return opened


def test_each_name_is_decrypted_once_per_process_and_again_after_a_change(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)
    forget_cached_names()
    place = next(p for p in Place.objects.all() if p.name == "Lantern House 3")

    first = count_opened(lambda: search(client, "/places/pick/", "lantern"))
    second = count_opened(lambda: search(client, "/places/pick/", "house 3"))
    place.name = "Lantern Lighthouse"
    place.save()
    after_change = count_opened(lambda: search(client, "/places/pick/", "lighthouse"))

    assert first["places.Place"] == 30  # the active places, to match them
    assert second["places.Place"] == 0
    assert after_change["places.Place"] == 1
    assert found(search(client, "/places/pick/", "lighthouse")) == ["Lantern Lighthouse (Shelter)"]


def test_a_full_cache_emptied_during_a_search_loses_no_name_from_its_answer(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, staff)
    forget_cached_names()
    before = found(search(client, "/places/pick/", "lantern house 3"))
    assert "Lantern House 3 (Shelter)" in before and len(before) == 3  # 3, 13 and 23
    changed = next(p for p in Place.objects.all() if p.name == "Lantern House 4")
    changed.name = "Lantern House 4b"
    changed.save()
    # The next search opens one name, which would pass the bound: the cache is emptied.
    monkeypatch.setattr("safespaces.pickers.CACHE_MAX", 30)

    response = search(client, "/places/pick/", "lantern house 3")

    assert response.status_code == 200
    assert found(response) == before
