from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.people.models import Person
from tests.conftest import sign_in
from tests.factories import IdentityGrantFactory, PersonFactory


def form_data(person: Person, **changes: str) -> dict[str, object]:
    data = {"alias": person.alias, "relation": person.relation, "version": person.version}
    return {**data, **changes}


def test_a_coordinator_without_a_grant_edits_the_profile_only(
    client: Client, coordinator: User
) -> None:
    person = PersonFactory(alias="Heron", legal_name="Secret Legal")
    sign_in(client, coordinator)

    page = client.get(f"/people/{person.pk}/edit/")
    response = client.post(f"/people/{person.pk}/edit/", form_data(person, relation="volunteer"))

    assert page.status_code == 200 and b'value="Heron"' in page.content
    assert b"Secret Legal" not in page.content and b"legal_name" not in page.content
    assert response["Location"] == f"/people/{person.pk}/"
    saved = Person.objects.get(pk=person.pk)
    assert (saved.relation, saved.legal_name, saved.version) == ("volunteer", "Secret Legal", 2)
    assert AuditEvent.objects.get(action=AuditEvent.Action.CHANGE).fields == ["relation"]


def test_with_a_grant_the_identity_is_editable_and_opening_the_form_counts_as_a_reveal(
    client: Client, coordinator: User, administrator: User
) -> None:
    person = PersonFactory(legal_name="Old Legal")
    IdentityGrantFactory(user=coordinator, person=person, granted_by=administrator)
    sign_in(client, coordinator)

    page = client.get(f"/people/{person.pk}/edit/")
    client.post(f"/people/{person.pk}/edit/", form_data(person, legal_name="New Legal"))

    assert b"Old Legal" in page.content
    assert Person.objects.get(pk=person.pk).legal_name == "New Legal"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL_IDENTITY).count() == 1


def test_a_stale_form_is_refused_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    person = PersonFactory(alias="Heron")
    sign_in(client, coordinator)
    stale = form_data(person, alias="Heron Two")
    Person.objects.filter(pk=person.pk).update(version=2)  # someone else saved meanwhile

    response = client.post(f"/people/{person.pk}/edit/", stale)

    assert response.status_code == 200
    assert b"Someone else changed this person" in response.content
    assert b'value="Heron Two"' in response.content
    assert Person.objects.get(pk=person.pk).alias == "Heron"
    resubmitted = client.post(f"/people/{person.pk}/edit/", {**stale, "version": 2})
    assert resubmitted.status_code == 302
    assert Person.objects.get(pk=person.pk).alias == "Heron Two"


def test_an_unknown_person_is_not_found(client: Client, coordinator: User) -> None:
    url = "/people/00000000-0000-4000-8000-000000000000/edit/"

    assert sign_in(client, coordinator).get(url).status_code == 404


def test_archiving_hides_the_person_from_staff(
    client: Client, coordinator: User, staff: User
) -> None:
    person = PersonFactory(alias="Heron")

    response = sign_in(client, coordinator).post(f"/people/{person.pk}/archive/")

    assert response["Location"] == "/people/"
    assert sign_in(Client(), staff).get(f"/people/{person.pk}/").status_code == 404
    assert sign_in(Client(), coordinator).get(f"/people/{person.pk}/").status_code == 200
