"""The database itself refuses to change or remove audit rows (migration 0002_append_only).

Each refused statement runs in its own savepoint: on Postgres a failed statement aborts the whole
transaction, and the test still needs it to read the row back.
"""

import pytest
from django.db import DatabaseError, connection, transaction

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record

REFUSAL = "append-only"


@pytest.fixture
def event(administrator: User) -> AuditEvent:
    return audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)


def assert_unchanged(event: AuditEvent) -> None:
    stored = AuditEvent.objects.get()
    assert stored.pk == event.pk
    assert stored.action == AuditEvent.Action.LOGIN
    assert stored.mac == event.mac


def test_it_refuses_a_raw_update(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditevent SET action = %s WHERE id = %s", ["logout", event.pk]
            )

    assert_unchanged(event)


def test_it_refuses_a_raw_delete_of_one_row(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert_unchanged(event)


def test_it_refuses_a_raw_delete_of_every_row(event: AuditEvent) -> None:
    # Without a WHERE clause SQLite could empty the table without visiting rows; with a trigger
    # on the table it must not.
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent")

    assert_unchanged(event)


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite has no TRUNCATE")
def test_it_refuses_truncate(event: AuditEvent) -> None:
    with connection.cursor() as cursor:
        # The event's foreign-key check is deferred to commit, and Postgres refuses TRUNCATE
        # while one is pending: run it now, so the refusal below comes from the trigger.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_auditevent")

    assert_unchanged(event)


def test_it_refuses_an_orm_update(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action=AuditEvent.Action.LOGOUT)

    assert_unchanged(event)


def test_it_refuses_saving_a_changed_event(event: AuditEvent) -> None:
    changed = AuditEvent.objects.get(pk=event.pk)
    changed.action = AuditEvent.Action.LOGOUT

    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        changed.save()

    assert_unchanged(event)


def test_it_refuses_an_orm_queryset_delete(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert_unchanged(event)


def test_it_refuses_an_orm_instance_delete(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        AuditEvent.objects.get(pk=event.pk).delete()

    assert_unchanged(event)
