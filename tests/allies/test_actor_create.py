import re

import pytest
from django.test import Client

from allies.models import Actor
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PlaceFactory

URL = "/allies/new/"


def form_data(**changes: object) -> dict[str, object]:
    data = {
        "name": "Harbour Shelter",
        "kind": "organization",
        "sector": "shelter",
        "stance": "ally",
        "power": "3",
        "trust": "4",
        "capabilities": ["shelter", "legal_aid"],
        "contact_person": "Mira",
        "phone": "+44 7700 900123",
        "email": "desk@harbour.example",
        "messenger": "",
        "address": "",
        "last_verified": "",
        "notes": "Will take people at night if called first.",
    }
    return {**data, **changes}


def is_checked(content: bytes, name: str, value: object) -> bool:
    """Whether the tick or radio button `name` with `value` is checked in the page."""
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


def test_a_coordinator_adds_an_ally_with_capabilities_and_areas(
    client: Client, coordinator: User
) -> None:
    northtown, southtown = PlaceFactory(kind="area"), PlaceFactory(kind="area")

    response = sign_in(client, coordinator).post(
        URL, form_data(areas=[str(northtown.pk), str(southtown.pk)], in_directory="on")
    )

    actor = Actor.objects.get()
    assert response["Location"] == f"/allies/{actor.pk}/"
    assert (actor.name, actor.stance, actor.trust, actor.in_directory) == (
        "Harbour Shelter",
        "ally",
        4,
        True,
    )
    assert sorted(actor.capabilities.values_list("capability", flat=True)) == [
        "legal_aid",
        "shelter",
    ]
    assert set(actor.areas.all()) == {northtown, southtown}


def test_the_creation_is_recorded_with_field_names_never_values(
    client: Client, coordinator: User
) -> None:
    sign_in(client, coordinator).post(URL, form_data())

    actor = Actor.objects.get()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "allies.actor",
        str(actor.pk),
    )
    assert event.fields == [
        "contact_person",
        "email",
        "kind",
        "name",
        "notes",
        "phone",
        "power",
        "sector",
        "stance",
        "trust",
    ]
    assert "Harbour" not in str(event.fields) and "Mira" not in str(event.fields)


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).post(
        URL, form_data(name="", stance="", phone="+44 7700 900777")
    )

    assert response.status_code == 200
    assert b"Give the actor a name." in response.content
    assert b"Say whether they are an ally, neutral or an adversary." in response.content
    assert b'value="+44 7700 900777"' in response.content
    assert is_checked(response.content, "capabilities", "legal_aid")
    assert not Actor.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_only_an_ally_goes_in_the_emergency_directory(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).post(
        URL, form_data(stance="neutral", in_directory="on")
    )

    assert response.status_code == 200
    assert b"Only allies go in the emergency directory: everyone can read it." in response.content
    assert not Actor.objects.exists()


def test_trust_is_dropped_for_an_actor_who_is_not_an_ally(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).post(URL, form_data(stance="adversary", trust="5"))

    actor = Actor.objects.get()
    assert response["Location"] == f"/allies/{actor.pk}/"
    assert (actor.stance, actor.trust) == ("adversary", None)
    assert "trust" not in AuditEvent.objects.get(action=AuditEvent.Action.CREATE).fields


def test_an_area_that_is_archived_cannot_be_picked(client: Client, coordinator: User) -> None:
    old = PlaceFactory(kind="area", archived=True)

    response = sign_in(client, coordinator).post(URL, form_data(areas=[str(old.pk)]))

    assert response.status_code == 200
    assert b"Select a valid choice." in response.content
    assert not Actor.objects.exists()


def test_the_gap_list_opens_the_form_with_the_capability_area_and_ally_ticked(
    client: Client, coordinator: User
) -> None:
    northtown, southtown = PlaceFactory(kind="area"), PlaceFactory(kind="area")

    response = sign_in(client, coordinator).get(
        URL, {"capability": "shelter", "area": str(northtown.pk)}
    )

    assert response.status_code == 200
    assert is_checked(response.content, "capabilities", "shelter")
    assert not is_checked(response.content, "capabilities", "legal_aid")
    assert is_checked(response.content, "areas", northtown.pk)
    # The areas are found by typing: the one ticked shows, the others are not listed.
    assert str(southtown.pk) not in response.content.decode()
    assert is_checked(response.content, "stance", "ally")


def test_an_empty_form_has_nothing_ticked(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    assert not is_checked(response.content, "capabilities", "shelter")
    assert not is_checked(response.content, "stance", "ally")


def test_staff_may_not_add_actors(client: Client, staff: User) -> None:
    sign_in(client, staff)

    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data()).status_code == 403
    assert not Actor.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    assert client.get(URL)["Location"] == "/login/"
    assert client.post(URL, form_data())["Location"] == "/login/"
    assert not Actor.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client: Client, coordinator: User, method: str) -> None:
    assert getattr(sign_in(client, coordinator), method)(URL).status_code == 405
