from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from allies.selectors import directory
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.crypto.fields import EncryptedMixin
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, PlaceFactory


@pytest.mark.django_db
def test_the_directory_lists_listed_allies_under_each_thing_they_can_do() -> None:
    both = ActorFactory(capabilities=["shelter", "medical"])
    ActorFactory(in_directory=False, capabilities=["shelter"])
    ActorFactory(archived=True, in_directory=False)
    AdversaryFactory()

    sections = {s.capability.value: s.allies for s in directory()}

    assert sections == {"shelter": [both], "medical": [both]}


@pytest.mark.django_db
def test_the_directory_filters_by_capability_and_area() -> None:
    station = PlaceFactory(kind="outreach_site")
    here = ActorFactory(capabilities=["legal_aid", "shelter"], areas=[station])
    national = ActorFactory(capabilities=["legal_aid"], serves_everywhere=True)
    ActorFactory(capabilities=["legal_aid"], areas=[PlaceFactory(kind="area")])

    sections = directory(area=station, capability="legal_aid")

    assert [s.capability.value for s in sections] == ["legal_aid"]
    assert set(sections[0].allies) == {here, national}


def test_everyone_sees_the_contact_channels_of_listed_allies(client: Client, staff: User) -> None:
    ActorFactory(phone="+44 7700 900555", messenger="Signal +44 7700 900556")

    page = sign_in(client, staff).get("/allies/directory/").content.decode()

    assert 'href="tel:+447700900555"' in page
    assert "Signal +44 7700 900556" in page


def test_old_or_missing_checks_carry_a_warning(client: Client, staff: User) -> None:
    today = timezone.localdate()
    ActorFactory(name="Checked Lately", last_verified=today - timedelta(days=183))
    ActorFactory(name="Checked Long Ago", last_verified=today - timedelta(days=184))
    ActorFactory(name="Never Checked", last_verified=None)

    page = sign_in(client, staff).get("/allies/directory/").content.decode()

    def entry(name: str) -> str:
        return page[page.index(name) :].split("</li>")[0]

    assert "check before relying on it" not in entry("Checked Lately")
    assert "Last checked" in entry("Checked Long Ago")
    assert "Never checked: check before relying on it." in entry("Never Checked")


def test_the_directory_is_two_queries_of_data_whatever_its_size(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)
    client.get("/allies/directory/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get("/allies/directory/")
        return len(captured)

    ActorFactory(capabilities=["shelter", "medical"])
    few = count()
    for _ in range(20):
        ActorFactory(capabilities=["shelter", "medical", "legal_aid"])

    assert count() == few


def test_printing_the_pocket_card_is_recorded_as_an_export(client: Client, staff: User) -> None:
    ActorFactory(name="Harbour Shelter")

    response = sign_in(client, staff).get("/allies/directory/card/")

    assert response.status_code == 200
    assert b"Harbour Shelter" in response.content
    assert b'class="pocket-card"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.actor, event.object_type) == (staff, "allies.directory")


def test_each_need_shows_the_most_trusted_few_and_says_how_many_more(
    client: Client, staff: User
) -> None:
    for rank in range(1, 8):
        ActorFactory(name=f"Shelter {rank}", trust=6 - min(rank, 5), capabilities=["shelter"])

    page = sign_in(client, staff).get("/allies/directory/")
    one_need = client.get("/allies/directory/", {"capability": "shelter"})

    assert page.status_code == one_need.status_code == 200
    text = page.content.decode()
    assert [f"Shelter {rank}" in text for rank in range(1, 8)] == [True] * 5 + [False] * 2
    assert "2 more allies offer this" in text
    assert 'href="/allies/directory/?capability=shelter"' in text
    assert all(f"Shelter {rank}" in one_need.content.decode() for rank in range(1, 8))


def test_a_large_directory_decrypts_only_the_allies_it_shows(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    ActorFactory.create_batch(30, capabilities=["shelter"])
    sign_in(client, staff)
    opened: list[str] = []
    opening = EncryptedMixin.open_value

    def counting(field: EncryptedMixin, *args: Any) -> Any:
        if field.model._meta.label == "allies.Actor":
            opened.append(field.name)
        return opening(field, *args)

    monkeypatch.setattr(EncryptedMixin, "open_value", counting)
    response = client.get("/allies/directory/")

    assert response.status_code == 200
    assert opened.count("name") == 5
    assert "25 more allies offer this" in response.content.decode()
