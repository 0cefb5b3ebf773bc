from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.people.models import Person
from tests.conftest import sign_in
from tests.factories import PersonFactory

VALID = {
    "alias": "Wren",
    "relation": "member",
    "legal_name": "Ana Wren-Real",
    "phone": "+44 7700 900001",
    "consent_to_store": "on",
    "consent_to_store_on": "2026-11-01",
}


def test_a_coordinator_adds_a_person_with_identity_and_consent(
    client: Client, coordinator: User
) -> None:
    response = sign_in(client, coordinator).post("/people/new/", VALID)

    person = Person.objects.get(alias="Wren")
    assert response["Location"] == f"/people/{person.pk}/"
    assert person.legal_name == "Ana Wren-Real"
    assert person.consent_recorded_by == coordinator
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert "legal_name" in event.fields and "Ana" not in str(event.fields)


def test_the_form_warns_against_real_names(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).get("/people/new/")

    assert b"Never use a real name" in response.content


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    PersonFactory(alias="Wren")
    data = {**VALID, "alias": "wren", "consent_to_store_on": ""}

    response = sign_in(client, coordinator).post("/people/new/", data)

    assert response.status_code == 200
    assert b"already has this alias" in response.content
    assert b"Give the date they consented" in response.content
    assert b'value="Ana Wren-Real"' in response.content
    assert Person.objects.count() == 1


def test_staff_may_not_add_people(client: Client, staff: User) -> None:
    assert sign_in(client, staff).post("/people/new/", VALID).status_code == 403
    assert not Person.objects.exists()
