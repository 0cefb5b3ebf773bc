"""The database itself refuses to change or remove audit rows (migrations 0002_append_only and
0006_sealed_later): the one update it lets through sets a pending row's chain fields, once.

Each refused statement runs in its own savepoint: on Postgres a failed statement aborts the whole
transaction, and the test still needs it to read the row back.
"""

from datetime import UTC, datetime
from importlib import import_module

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record, audit_seal

REFUSAL = "append-only"
sealed_later = import_module("safespaces.audit.migrations.0006_sealed_later")


@pytest.fixture
def event(administrator: User) -> AuditEvent:
    """A sealed event."""
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_seal()
    return AuditEvent.objects.get()


@pytest.fixture
def pending(administrator: User) -> AuditEvent:
    """An event as a request appends it, before the sealer links it into the chain."""
    return AuditEvent.objects.create(
        at=timezone.now(), actor=administrator, action=AuditEvent.Action.LOGIN
    )


def raw_update(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE audit_auditevent SET {sql}", params)  # noqa: S608 - the test's own


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


def test_it_refuses_sealing_a_sealed_row_again(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL):
        raw_update(
            "seq = %s, prev_mac = %s, mac = %s WHERE id = %s", [7, "e" * 64, "f" * 64, event.pk]
        )

    assert_unchanged(event)
    assert AuditEvent.objects.get().seq == 1


def test_it_refuses_changing_only_the_mac_of_a_sealed_row(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL):
        raw_update("mac = %s WHERE id = %s", ["f" * 64, event.pk])

    assert_unchanged(event)


def test_it_lets_the_sealer_set_the_chain_fields_of_a_pending_row(pending: AuditEvent) -> None:
    raw_update(
        "seq = %s, prev_mac = %s, mac = %s WHERE id = %s", [1, "e" * 64, "f" * 64, pending.pk]
    )

    stored = AuditEvent.objects.get()
    assert (stored.seq, stored.prev_mac, stored.mac) == (1, "e" * 64, "f" * 64)
    assert stored.action == AuditEvent.Action.LOGIN


@pytest.mark.parametrize(
    ("change", "params"),
    [
        ("action = %s", ["logout"]),
        ("object_id = %s", ["42"]),
        ("fields = %s", ['["display_name"]']),
        ("actor_id = NULL", []),
        ("at = %s", [datetime(2020, 1, 1, tzinfo=UTC)]),
    ],
)
def test_it_refuses_changing_the_content_of_a_pending_row_even_while_sealing_it(
    pending: AuditEvent, change: str, params: list[object]
) -> None:
    sealing = "seq = %s, prev_mac = %s, mac = %s"
    with pytest.raises(DatabaseError, match=REFUSAL):
        raw_update(
            f"{sealing}, {change} WHERE id = %s", [1, "e" * 64, "f" * 64, *params, pending.pk]
        )
    with pytest.raises(DatabaseError, match=REFUSAL):
        raw_update(f"{change} WHERE id = %s", [*params, pending.pk])

    stored = AuditEvent.objects.get()
    assert (stored.seq, stored.mac, stored.action) == (None, "", AuditEvent.Action.LOGIN)
    assert stored.actor_id == pending.actor_id


def test_it_refuses_half_sealing_a_pending_row(pending: AuditEvent) -> None:
    # The check constraint or the trigger: either way, no row is sealed without all three.
    with pytest.raises(DatabaseError):
        raw_update("seq = %s WHERE id = %s", [1, pending.pk])

    assert AuditEvent.objects.get().seq is None


def test_it_refuses_deleting_a_pending_row(pending: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        AuditEvent.objects.filter(pk=pending.pk).delete()

    assert AuditEvent.objects.get().pk == pending.pk


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite trigger names its columns")
def test_the_sqlite_trigger_keeps_every_content_column_unchanged() -> None:
    columns = {field.column for field in AuditEvent._meta.concrete_fields}

    assert set(sealed_later.CONTENT_COLUMNS) == columns - {"seq", "prev_mac", "mac"}
