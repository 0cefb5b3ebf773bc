import pytest
from django.test import Client

from allies.models import Actor
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import ActorFactory

UNKNOWN = "/allies/00000000-0000-4000-8000-000000000000/archive/"


def url(actor: Actor) -> str:
    return f"/allies/{actor.pk}/archive/"


def test_a_coordinator_is_asked_first(client: Client, coordinator: User) -> None:
    actor = ActorFactory(name="Harbour Shelter")

    response = sign_in(client, coordinator).get(url(actor))

    assert response.status_code == 200
    assert b"Archive Harbour Shelter?" in response.content
    assert b'<form method="post">' in response.content
    assert not Actor.objects.get(pk=actor.pk).archived
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_archiving_takes_the_ally_out_of_the_directory_and_is_recorded(
    client: Client, coordinator: User, staff: User
) -> None:
    actor = ActorFactory(name="Harbour Shelter", in_directory=True)
    ActorFactory(name="Quay Legal Clinic", in_directory=True)

    response = sign_in(client, coordinator).post(url(actor))

    assert response["Location"] == "/allies/"
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.archived, saved.in_directory, saved.version) == (True, False, 2)
    assert saved.name == "Harbour Shelter"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(actor.pk),
        ["archived", "in_directory"],
    )
    as_staff = sign_in(Client(), staff)
    assert as_staff.get(f"/allies/{actor.pk}/").status_code == 404
    for page in (as_staff.get("/allies/"), as_staff.get("/allies/directory/")):
        assert page.status_code == 200
        assert b"Quay Legal Clinic" in page.content
        assert b"Harbour Shelter" not in page.content


def test_an_edit_form_opened_before_the_archive_is_refused(
    client: Client, coordinator: User
) -> None:
    actor = ActorFactory(name="Harbour Shelter")
    sign_in(client, coordinator)
    opened = {
        "name": "Harbour Shelter Two",
        "kind": actor.kind,
        "sector": actor.sector,
        "stance": actor.stance,
        "power": actor.power,
        "version": actor.version,
    }

    client.post(url(actor))
    stale = client.post(f"/allies/{actor.pk}/edit/", opened)
    back_in_directory = client.post(
        f"/allies/{actor.pk}/edit/", {**opened, "in_directory": "on", "version": actor.version + 1}
    )

    assert b"Someone else changed this actor while you were editing." in stale.content
    assert b"An archived actor cannot be in the emergency directory." in back_in_directory.content
    saved = Actor.objects.get(pk=actor.pk)
    assert (saved.name, saved.in_directory) == ("Harbour Shelter", False)


def test_archiving_twice_records_once(client: Client, coordinator: User) -> None:
    actor = ActorFactory()
    sign_in(client, coordinator)

    client.post(url(actor))
    client.post(url(actor))

    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 1
    assert Actor.objects.get(pk=actor.pk).version == 2


def test_staff_may_not_archive(client: Client, staff: User) -> None:
    actor = ActorFactory()
    sign_in(client, staff)

    assert client.get(url(actor)).status_code == 403
    assert client.post(url(actor)).status_code == 403
    assert not Actor.objects.get(pk=actor.pk).archived


def test_an_unknown_actor_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.post(UNKNOWN).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    actor = ActorFactory()

    assert client.get(url(actor))["Location"] == "/login/"
    assert client.post(url(actor))["Location"] == "/login/"
    assert not Actor.objects.get(pk=actor.pk).archived


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client: Client, coordinator: User, method: str) -> None:
    actor = ActorFactory()

    assert getattr(sign_in(client, coordinator), method)(url(actor)).status_code == 405
    assert not Actor.objects.get(pk=actor.pk).archived
