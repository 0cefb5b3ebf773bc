import re
from datetime import date

import pytest
from django.test import Client

from allies.models import Actor
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import ActorFactory, PlaceFactory

UNKNOWN = "/allies/00000000-0000-4000-8000-000000000000/edit/"
CONFLICT = (
    b"Someone else changed this actor while you were editing. Your changes are below; "
    b"check them and save again."
)


def url(actor: Actor) -> str:
    return f"/allies/{actor.pk}/edit/"


def form_data(actor: Actor, **changes: object) -> dict[str, object]:
    """The form as it comes back when saved without changes."""
    data = {
        "name": actor.name,
        "kind": actor.kind,
        "sector": actor.sector,
        "stance": actor.stance,
        "power": actor.power,
        "trust": actor.trust or "",
        "capabilities": list(actor.capabilities.values_list("capability", flat=True)),
        "serves_everywhere": "on" if actor.serves_everywhere else "",
        "areas": [str(place.pk) for place in actor.areas.all()],
        "in_directory": "on" if actor.in_directory else "",
        "contact_person": actor.contact_person,
        "phone": actor.phone,
        "email": actor.email,
        "messenger": actor.messenger,
        "address": actor.address,
        "last_verified": actor.last_verified.isoformat() if actor.last_verified else "",
        "notes": actor.notes,
        "version": actor.version,
    }
    data = {name: value for name, value in data.items() if value != ""}
    return {**data, **changes}


def is_checked(content: bytes, name: str, value: object) -> bool:
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


def test_a_coordinator_edits_an_actor_and_the_change_names_fields_only(
    client: Client, coordinator: User
) -> None:
    actor = ActorFactory(phone="+44 7700 900123", areas=[PlaceFactory(kind="area")])

    response = sign_in(client, coordinator).post(
        url(actor), form_data(actor, phone="+44 7700 900456")
    )

    assert response["Location"] == f"/allies/{actor.pk}/"
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.phone, saved.version) == ("+44 7700 900456", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (coordinator, str(actor.pk), ["phone"])


def test_capabilities_and_areas_are_replaced_by_the_ticked_ones(
    client: Client, coordinator: User
) -> None:
    northtown, southtown = PlaceFactory(kind="area"), PlaceFactory(kind="area")
    actor = ActorFactory(capabilities=["shelter", "referral"], areas=[northtown])

    sign_in(client, coordinator).post(
        url(actor),
        form_data(actor, capabilities=["shelter", "legal_aid"], areas=[str(southtown.pk)]),
    )

    assert sorted(actor.capabilities.values_list("capability", flat=True)) == [
        "legal_aid",
        "shelter",
    ]
    assert list(actor.areas.all()) == [southtown]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["areas", "capabilities"]


def test_opening_the_form_shows_the_actor_and_is_recorded_as_a_view(
    client: Client, coordinator: User
) -> None:
    northtown = PlaceFactory(kind="area")
    actor = ActorFactory(notes="Ring the night bell", capabilities=["medical"], areas=[northtown])

    response = sign_in(client, coordinator).get(url(actor))

    assert b"Ring the night bell" in response.content
    assert is_checked(response.content, "capabilities", "medical")
    assert not is_checked(response.content, "capabilities", "shelter")
    assert is_checked(response.content, "areas", northtown.pk)
    assert b'type="hidden" name="version" value="1"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (coordinator, str(actor.pk))


def test_an_area_archived_since_it_was_picked_stays_picked(
    client: Client, coordinator: User
) -> None:
    northtown = PlaceFactory(kind="area")
    actor = ActorFactory(areas=[northtown])
    Place.objects.filter(pk=northtown.pk).update(archived=True)
    sign_in(client, coordinator)

    page = client.get(url(actor))
    client.post(url(actor), form_data(actor, notes="Checked in person"))

    assert is_checked(page.content, "areas", northtown.pk)
    assert list(actor.areas.all()) == [northtown]
    assert Actor.objects.get(pk=actor.pk).notes == "Checked in person"


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    actor = ActorFactory(name="Harbour Shelter")

    response = sign_in(client, coordinator).post(
        url(actor), form_data(actor, name="", phone="+44 7700 900777")
    )

    assert response.status_code == 200
    assert b"Give the actor a name." in response.content
    assert b'value="+44 7700 900777"' in response.content
    assert Actor.objects.get(pk=actor.pk).name == "Harbour Shelter"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_an_actor_who_is_no_longer_an_ally_cannot_stay_in_the_directory(
    client: Client, coordinator: User
) -> None:
    actor = ActorFactory(in_directory=True)

    response = sign_in(client, coordinator).post(
        url(actor), form_data(actor, stance="neutral", in_directory="on")
    )

    assert response.status_code == 200
    assert b"Only allies go in the emergency directory: everyone can read it." in response.content
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.stance, saved.in_directory) == ("ally", True)


def test_the_trust_rating_is_dropped_when_an_ally_turns_adversary(
    client: Client, coordinator: User
) -> None:
    actor = ActorFactory(trust=4, in_directory=True)
    data = form_data(actor, stance="adversary")
    del data["in_directory"]

    response = sign_in(client, coordinator).post(url(actor), data)

    assert response["Location"] == f"/allies/{actor.pk}/"
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.stance, saved.trust, saved.in_directory) == ("adversary", None, False)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.fields == ["in_directory", "stance", "trust"]


def test_a_stale_form_is_refused_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    actor = ActorFactory(name="Harbour Shelter", capabilities=["shelter"])
    sign_in(client, coordinator)
    stale = form_data(actor, name="Harbour Shelter Two", notes="New night number", trust="2")
    stale["capabilities"] = ["shelter", "medical"]
    Actor.objects.filter(pk=actor.pk).update(version=2)  # someone else saved meanwhile

    response = client.post(url(actor), stale)

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b'value="Harbour Shelter Two"' in response.content
    assert b"New night number" in response.content
    assert is_checked(response.content, "capabilities", "medical")
    assert b'name="version" value="2"' in response.content  # saving again keeps these changes
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.name, saved.trust, saved.version) == ("Harbour Shelter", 4, 2)
    assert list(saved.capabilities.values_list("capability", flat=True)) == ["shelter"]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()
    resubmitted = client.post(url(actor), {**stale, "version": 2})
    assert resubmitted.status_code == 302
    assert Actor.objects.get(pk=actor.pk).name == "Harbour Shelter Two"


def test_a_form_without_its_version_is_treated_as_stale(client: Client, coordinator: User) -> None:
    actor = ActorFactory(name="Harbour Shelter")
    data = form_data(actor, name="Changed")
    del data["version"]

    response = sign_in(client, coordinator).post(url(actor), data)

    assert CONFLICT in response.content
    assert Actor.objects.get(pk=actor.pk).name == "Harbour Shelter"


def test_staff_may_not_open_the_form_or_see_the_notes_through_it(
    client: Client, staff: User
) -> None:
    actor = ActorFactory(notes="Ring the night bell")
    sign_in(client, staff)

    page = client.get(url(actor))
    post = client.post(url(actor), form_data(actor, name="Taken over"))

    assert page.status_code == 403 and b"Ring the night bell" not in page.content
    assert b"This page is not for your role" in page.content
    assert post.status_code == 403
    assert Actor.objects.get(pk=actor.pk).name != "Taken over"


def test_an_unknown_actor_is_not_found(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).get(UNKNOWN).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client: Client, coordinator: User, method: str) -> None:
    actor = ActorFactory()

    assert getattr(sign_in(client, coordinator), method)(url(actor)).status_code == 405


def test_a_check_date_in_the_future_is_refused(client: Client, coordinator: User) -> None:
    actor = ActorFactory()

    response = sign_in(client, coordinator).post(
        url(actor), form_data(actor, last_verified="2099-01-01")
    )

    assert b"The date cannot be in the future." in response.content
    assert Actor.objects.get(pk=actor.pk).last_verified != date(2099, 1, 1)
