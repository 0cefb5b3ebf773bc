"""Erasure: two administrators, and afterwards nothing of the person anywhere in the database."""

import uuid

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone

from allies.models import SharingConsent
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.crypto.fields import encrypted_fields
from safespaces.drafts.models import EditBase
from safespaces.people.models import IDENTITY_FIELDS, ErasureRequest, Person
from tests.conftest import sign_in
from tests.factories import ActorFactory, IdentityGrantFactory, PersonFactory, UserFactory


@pytest.fixture
def second_administrator(db: None) -> User:
    """Bea, another administrator, who approves what Amina asks for."""
    from safespaces.accounts.roles import Role

    return UserFactory(username="bea", display_name="Bea", role=Role.ADMINISTRATOR)


def canary(name: str) -> str:
    return f"CANARY-{name}-{uuid.uuid4().hex[:8]}"


def every_decrypted_value() -> list[str]:
    """Every encrypted value in the database, opened, as text."""
    values = []
    for model in apps.get_models():
        for row in model._base_manager.all():
            values += [str(getattr(row, f.attname)) for f in encrypted_fields(model)]
    return values


def every_raw_cell() -> list[str]:
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            cells += [str(cell) for row in cursor.fetchall() for cell in row]
    return cells


def test_erasure_leaves_no_trace_of_the_person_and_the_audit_only_grows(
    administrator: User, second_administrator: User, staff: User
) -> None:
    secrets = {
        name: canary(name) for name in [*IDENTITY_FIELDS, "alias"] if name != "survivor_status"
    }
    person = PersonFactory(**secrets, survivor_status="survivor", user=staff)
    grant = IdentityGrantFactory(person=person, reason=canary("grant-reason"))
    SharingConsent.objects.create(
        person=person,
        ally=ActorFactory(),
        given_on=timezone.localdate(),
        recorded_by=administrator,
    )
    asker, approver = sign_in(Client(), administrator), sign_in(Client(), second_administrator)
    asker.get(f"/admin/people/person/{person.pk}/change/")  # the admin's history now has the alias
    asker.post(
        f"/admin/people/person/{person.pk}/change/",
        {**secrets, "relation": "member", "survivor_status": "survivor", "user": staff.pk},
    )
    asker.get(f"/people/{person.pk}/edit/")  # keeps the values shown, for merging edits
    assert EditBase.objects.filter(object_id=person.pk).exists()
    all_canaries = [*secrets.values(), grant.reason]
    assert set(all_canaries) <= set(every_decrypted_value()) | set(every_raw_cell())
    asker.post(f"/people/{person.pk}/erase/", {"reason": "Asked by the person"})
    audit_before = AuditEvent.objects.count()
    erasure = ErasureRequest.objects.get()

    response = approver.post(f"/people/erasures/{erasure.pk}/approve/")

    assert response["Location"] == "/people/erasures/"
    stored = " ".join(every_decrypted_value() + every_raw_cell())
    assert [c for c in all_canaries if c in stored] == []
    tombstone = Person.objects.get(pk=person.pk)
    assert tombstone.alias.startswith("Erased person") and tombstone.erased_at is not None
    assert tombstone.user is None and tombstone.survivor_status == ""
    assert not SharingConsent.objects.filter(person=person).exists()
    assert AuditEvent.objects.count() > audit_before
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ERASURE, object_id=str(person.pk)
    ).exists()


def test_the_administrator_who_asked_cannot_approve(administrator: User) -> None:
    person = PersonFactory(legal_name="Still Here")
    client = sign_in(Client(), administrator)
    client.post(f"/people/{person.pk}/erase/", {"reason": "Asked by the person"})

    response = client.post(
        f"/people/erasures/{ErasureRequest.objects.get().pk}/approve/", follow=True
    )

    assert b"another administrator must approve" in response.content
    assert Person.objects.get(pk=person.pk).legal_name == "Still Here"


def test_the_database_refuses_a_self_approved_erasure(administrator: User) -> None:
    from django.db import IntegrityError, transaction

    erasure = ErasureRequest.objects.create(
        person=PersonFactory(), reason="x", requested_by=administrator
    )
    erasure.approved_by, erasure.approved_at = administrator, timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        erasure.save()


def test_a_cancelled_request_erases_nothing(
    administrator: User, second_administrator: User
) -> None:
    person = PersonFactory(legal_name="Still Here")
    sign_in(Client(), administrator).post(f"/people/{person.pk}/erase/", {"reason": "Mistake"})
    erasure = ErasureRequest.objects.get()
    approver = sign_in(Client(), second_administrator)

    approver.post(f"/people/erasures/{erasure.pk}/cancel/")
    response = approver.post(f"/people/erasures/{erasure.pk}/approve/")

    assert response.status_code == 404
    assert Person.objects.get(pk=person.pk).legal_name == "Still Here"


def test_an_erased_person_is_gone_from_lists_and_pages(
    administrator: User, second_administrator: User
) -> None:
    person = PersonFactory(alias="Heron")
    PersonFactory(alias="Kestrel")
    sign_in(Client(), administrator).post(f"/people/{person.pk}/erase/", {"reason": "Asked"})
    sign_in(Client(), second_administrator).post(
        f"/people/erasures/{ErasureRequest.objects.get().pk}/approve/"
    )
    client = sign_in(Client(), administrator)

    listed = client.get("/people/")
    assert listed.status_code == 200
    assert b"Kestrel" in listed.content and b"Heron" not in listed.content
    assert client.get(f"/people/{person.pk}/").status_code == 404


def test_staff_may_not_ask_for_erasure(client: Client, staff: User) -> None:
    person = PersonFactory()

    assert (
        sign_in(client, staff).post(f"/people/{person.pk}/erase/", {"reason": "x"}).status_code
        == 403
    )
    assert not ErasureRequest.objects.exists()
