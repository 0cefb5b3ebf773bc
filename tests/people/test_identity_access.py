"""Who may see a survivor's identity: administrators and holders of an active grant, only after a
Reveal, and nobody else by any URL, method or admin page."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from safespaces.people.models import IDENTITY_FIELDS, Person, RevealTicket
from tests.conftest import sign_in
from tests.factories import IdentityGrantFactory, PersonFactory, UserFactory
from tests.urlwalk import SAMPLE_VALUES, walk

SECRET_VALUES = {
    "legal_name": "Marisol Canary-Legal",
    "phone": "+1 555 0100 canary",
    "email": "canary-email@example.org",
    "address": "99 Canary Street",
    "messenger": "@canary-messenger",
    "emergency_contact": "Canary emergency contact",
    "notes": "Canary notes about her",
}


@pytest.fixture
def survivor(db: None) -> Person:
    return PersonFactory(alias="Heron", **SECRET_VALUES)


def reveal(client: Client, person: Person) -> Any:
    """Press "Reveal identity", and follow the redirect to the page that shows it."""
    return client.post(f"/people/{person.pk}/reveal/", follow=True)


def reveals() -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL_IDENTITY).count()


def shows_identity(response: Any) -> bool:
    # Exports stream: read them whole, they are checked like any page.
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = raw.decode()
    return any(value in body for value in SECRET_VALUES.values())


def test_an_administrator_reveals_and_it_is_audited(
    client: Client, administrator: User, survivor: Person
) -> None:
    response = reveal(sign_in(client, administrator), survivor)

    assert response.status_code == 200
    assert "Marisol Canary-Legal" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.REVEAL_IDENTITY)
    assert (event.actor, event.object_id) == (administrator, str(survivor.pk))


def test_reloading_the_page_after_a_reveal_hides_the_identity_and_records_no_second_reveal(
    client: Client, administrator: User, survivor: Person
) -> None:
    revealed = reveal(sign_in(client, administrator), survivor)
    shown_at = revealed.redirect_chain[-1][0]

    reloaded = client.get(shown_at)

    assert revealed.redirect_chain == [(shown_at, 303)]
    assert shows_identity(revealed)
    assert reloaded.status_code == 200
    assert not shows_identity(reloaded)
    assert "Hidden again" in reloaded.content.decode()
    assert b"Reveal identity" in reloaded.content
    assert reveals() == 1
    # The revealed page's one event is its reveal; the reload is a view like any other.
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count() == 1


def test_a_new_reveal_after_a_reload_shows_it_again(
    client: Client, administrator: User, survivor: Person
) -> None:
    first = reveal(sign_in(client, administrator), survivor)
    client.get(first.redirect_chain[-1][0])

    second = reveal(client, survivor)

    assert shows_identity(second)
    assert reveals() == 2


def test_the_address_of_a_reveal_shows_nothing_to_another_administrator(
    client: Client, administrator: User, survivor: Person
) -> None:
    # Not used yet by its holder: it is bound to her.
    response = sign_in(client, administrator).post(f"/people/{survivor.pk}/reveal/")
    other = sign_in(Client(), UserFactory(role=Role.ADMINISTRATOR))

    page = other.get(response["Location"])

    assert page.status_code == 200
    assert not shows_identity(page)
    assert b"Reveal identity" in page.content
    assert reveals() == 0
    assert shows_identity(client.get(response["Location"]))


def test_a_reveal_not_shown_within_a_minute_expires(
    client: Client, administrator: User, survivor: Person
) -> None:
    with time_machine.travel("2026-11-20 10:00", tick=False) as clock:
        client = sign_in(client, administrator)
        response = client.post(f"/people/{survivor.pk}/reveal/")
        clock.shift(timedelta(seconds=61))
        page = client.get(response["Location"])
        unused = RevealTicket.objects.count()
        again = reveal(client, survivor)

    assert page.status_code == 200
    assert not shows_identity(page)
    assert unused == 1  # until the next reveal clears it away
    assert shows_identity(again)
    assert reveals() == 1
    assert RevealTicket.objects.count() == 0


def test_a_grant_revoked_before_the_page_loads_shows_nothing(
    client: Client, staff: User, administrator: User, survivor: Person
) -> None:
    grant = IdentityGrantFactory(user=staff, person=survivor, granted_by=administrator)
    response = sign_in(client, staff).post(f"/people/{survivor.pk}/reveal/")
    sign_in(Client(), administrator).post(f"/people/grants/{grant.pk}/revoke/")

    page = client.get(response["Location"])

    assert page.status_code == 200
    assert not shows_identity(page)
    assert "Only administrators" in page.content.decode()
    assert reveals() == 0


def test_a_reveal_ticket_holds_no_value(
    client: Client, administrator: User, survivor: Person
) -> None:
    sign_in(client, administrator).post(f"/people/{survivor.pk}/reveal/")

    ticket = RevealTicket.objects.values().get()

    assert set(ticket) == {"id", "user_id", "person_id", "expires_at"}
    assert ticket["person_id"] == survivor.pk


def test_the_identity_is_hidden_again_on_the_next_page_load(
    client: Client, administrator: User, survivor: Person
) -> None:
    reveal(sign_in(client, administrator), survivor)

    response = client.get(f"/people/{survivor.pk}/")

    assert not shows_identity(response)
    assert b"Reveal identity" in response.content


def test_staff_with_a_grant_for_this_person_may_reveal(
    client: Client, staff: User, administrator: User, survivor: Person
) -> None:
    IdentityGrantFactory(user=staff, person=survivor, granted_by=administrator)

    assert shows_identity(reveal(sign_in(client, staff), survivor))


def test_a_grant_for_everyone_covers_every_person(
    client: Client, staff: User, administrator: User, survivor: Person
) -> None:
    IdentityGrantFactory(user=staff, person=None, granted_by=administrator)

    assert shows_identity(reveal(sign_in(client, staff), survivor))


def test_a_grant_for_someone_else_does_not(
    client: Client, staff: User, administrator: User, survivor: Person
) -> None:
    IdentityGrantFactory(user=staff, person=PersonFactory(), granted_by=administrator)

    response = reveal(sign_in(client, staff), survivor)

    assert response.status_code == 403
    assert not shows_identity(response)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_DENIED).count() == 1


def test_an_expired_grant_stops_working_by_itself(
    staff: User, administrator: User, survivor: Person
) -> None:
    with time_machine.travel("2026-11-20 10:00", tick=False) as clock:
        IdentityGrantFactory(
            user=staff,
            person=survivor,
            granted_by=administrator,
            granted_at=timezone.now(),
            expires_at=timezone.now() + timedelta(days=7),
        )
        client = sign_in(Client(), staff)
        assert shows_identity(reveal(client, survivor))
        clock.move_to("2026-11-27 10:01")
        client = sign_in(Client(), staff)
        response = reveal(client, survivor)

    assert response.status_code == 403


def test_a_revoked_grant_stops_working(
    client: Client, staff: User, administrator: User, survivor: Person
) -> None:
    grant = IdentityGrantFactory(user=staff, person=survivor, granted_by=administrator)
    sign_in(Client(), administrator).post(f"/people/grants/{grant.pk}/revoke/")

    assert reveal(sign_in(client, staff), survivor).status_code == 403


def test_reveal_is_a_post(client: Client, administrator: User, survivor: Person) -> None:
    assert sign_in(client, administrator).get(f"/people/{survivor.pk}/reveal/").status_code == 405


def paths_for(person: Person) -> list[str]:
    """Every page of the app and the admin, with this person's code wherever one goes."""
    paths = [r.path.replace(SAMPLE_VALUES["uuid"], str(person.pk)) for r in walk() if r.path]
    admin_paths = [
        "/admin/people/person/",
        f"/admin/people/person/{person.pk}/change/",
        "/admin/people/identitygrant/",
    ]
    return [p for p in paths if p not in ("/exit/", "/logout/")] + admin_paths


@pytest.mark.parametrize("persona", ["staff", "coordinator"])
def test_no_url_shows_an_identity_without_a_grant(
    persona: str, request: pytest.FixtureRequest, survivor: Person
) -> None:
    user = request.getfixturevalue(persona)
    IdentityGrantFactory(person=survivor)  # someone else's grant, to be sure it does not leak
    client = sign_in(Client(), user)
    leaks = []
    for path in paths_for(survivor):
        for method in (client.get, client.post):
            response = method(path)
            if shows_identity(response):
                leaks.append(f"{method.__name__.upper()} {path}")

    assert leaks == []
    assert Person.objects.get(pk=survivor.pk).legal_name == SECRET_VALUES["legal_name"]


def test_the_url_walk_would_catch_a_leak(
    client: Client, administrator: User, survivor: Person
) -> None:
    # The same walk as an administrator finds the identity (in the admin's change form).
    client = sign_in(client, administrator)

    assert any(shows_identity(client.get(path)) for path in paths_for(survivor))


def test_every_identity_field_is_encrypted() -> None:
    assert all(
        getattr(Person._meta.get_field(name), "encrypted", False) for name in IDENTITY_FIELDS
    )
