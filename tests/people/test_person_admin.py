from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.people.models import Person
from tests.conftest import sign_in
from tests.factories import PersonFactory


def test_opening_the_admin_change_form_is_a_recorded_reveal(
    client: Client, administrator: User
) -> None:
    person = PersonFactory()

    sign_in(client, administrator).get(f"/admin/people/person/{person.pk}/change/")

    event = AuditEvent.objects.get(action=AuditEvent.Action.REVEAL_IDENTITY)
    assert (event.object_type, event.object_id) == ("people.person", str(person.pk))


def test_an_admin_save_makes_an_open_in_app_form_stale(client: Client, administrator: User) -> None:
    person = PersonFactory(alias="Heron")
    sign_in(client, administrator)

    client.post(
        f"/admin/people/person/{person.pk}/change/",
        {"alias": "Heron", "relation": "volunteer", "survivor_status": ""},
    )
    stale = client.post(
        f"/people/{person.pk}/edit/", {"alias": "Heron", "relation": "member", "version": 1}
    )

    assert Person.objects.get(pk=person.pk).version == 2
    assert b"Someone else changed this person" in stale.content
