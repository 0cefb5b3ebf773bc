"""audit_record: the only way an event enters the trail."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit import services
from safespaces.audit.models import GENESIS_MAC, AuditEvent
from safespaces.audit.services import ChainCheck, audit_chain_verify, audit_record, audit_seal


def test_it_numbers_rows_one_two_three_and_links_each_to_the_one_before(
    administrator: User,
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_record(action=AuditEvent.Action.LIST, actor=administrator)
    audit_record(action=AuditEvent.Action.LOGOUT, actor=administrator)
    audit_seal()

    first, second, third = AuditEvent.objects.order_by("seq")
    assert [first.action, second.action, third.action] == ["login", "list", "logout"]
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_mac == GENESIS_MAC
    assert second.prev_mac == first.mac
    assert third.prev_mac == second.mac
    assert len({first.mac, second.mac, third.mac}) == 3


def test_it_names_the_target_by_model_label_and_id(administrator: User, staff: User) -> None:
    event = audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=staff)

    event.refresh_from_db()
    assert event.object_type == "accounts.user"
    assert event.object_id == str(staff.pk)


def test_it_never_stores_the_targets_name(administrator: User, staff: User) -> None:
    audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=staff)

    stored = AuditEvent.objects.values().get()
    assert staff.username not in str(stored)
    assert staff.display_name not in str(stored)


def test_it_stores_changed_field_names_sorted(administrator: User, staff: User) -> None:
    event = audit_record(
        action=AuditEvent.Action.CHANGE,
        actor=administrator,
        target=staff,
        fields=["username", "is_active", "display_name"],
    )

    event.refresh_from_db()
    assert event.fields == ["display_name", "is_active", "username"]


def test_it_keeps_only_the_names_when_given_the_changed_values(
    administrator: User, staff: User
) -> None:
    changes = {"display_name": "Lin Secretname", "username": "lin-new"}

    audit_record(action=AuditEvent.Action.CHANGE, actor=administrator, target=staff, fields=changes)

    stored = AuditEvent.objects.values().get()
    assert stored["fields"] == ["display_name", "username"]
    assert "Lin Secretname" not in str(stored)
    assert "lin-new" not in str(stored)


def test_it_refuses_values_passed_as_field_names(administrator: User, staff: User) -> None:
    with pytest.raises(ValueError, match="field names"):
        audit_record(
            action=AuditEvent.Action.CHANGE,
            actor=administrator,
            target=staff,
            fields=["Lin Secretname"],
        )

    assert not AuditEvent.objects.exists()


def test_it_is_undone_with_the_callers_transaction(administrator: User) -> None:
    # A savepoint inside the test's transaction stands in for the request's transaction.
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=AuditEvent.Action.DELETE, actor=administrator)
        assert AuditEvent.objects.count() == 1
        raise RuntimeError("the action the event records failed")

    assert not AuditEvent.objects.exists()


def test_it_continues_the_chain_after_a_rolled_back_event(administrator: User) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action=AuditEvent.Action.DELETE, actor=administrator)
        raise RuntimeError("the action the event records failed")

    audit_record(action=AuditEvent.Action.LOGOUT, actor=administrator)
    audit_seal()

    first, second = AuditEvent.objects.order_by("seq")
    assert second.action == AuditEvent.Action.LOGOUT
    assert second.seq == 2
    assert second.prev_mac == first.mac


def test_it_fails_the_caller_when_the_row_cannot_be_written(
    administrator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(AuditEvent, "save", refuse)

    with pytest.raises(DatabaseError, match="disk full"):
        audit_record(action=AuditEvent.Action.EXPORT, actor=administrator)

    assert not AuditEvent.objects.exists()


def test_it_records_an_anonymous_actor_as_nobody(db: None) -> None:
    event = audit_record(action=AuditEvent.Action.LOGIN_FAILED, actor=AnonymousUser())

    assert event.actor is None
    assert AuditEvent.objects.get().actor_id is None


def test_it_takes_no_lock_and_writes_only_its_own_row(
    administrator: User,
) -> None:
    # On Postgres the sealing waits for the commit (the test's transaction never commits); on
    # SQLite it runs in the transaction, which holds the database's one write lock anyway.
    with CaptureQueriesContext(connection) as queries:
        audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)

    statements = [query["sql"].upper() for query in queries.captured_queries]
    assert any(sql.startswith("INSERT INTO") and "AUDIT_AUDITEVENT" in sql for sql in statements)
    if connection.vendor == "postgresql":
        assert not any("LOCK" in sql for sql in statements)
        assert not any(sql.startswith("UPDATE") for sql in statements)
        assert AuditEvent.objects.get().seq is None


def test_sealing_links_pending_rows_in_order_of_arrival(administrator: User) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_seal()
    for action in [AuditEvent.Action.LIST, AuditEvent.Action.VIEW, AuditEvent.Action.LOGOUT]:
        # Inserted as a request inserts on Postgres: content only.
        AuditEvent.objects.create(at=timezone.now(), actor=administrator, action=action)

    sealed = audit_seal(batch=2)

    events = list(AuditEvent.objects.order_by("id"))
    assert sealed == 3  # two batches of at most two rows
    assert [event.seq for event in events] == [1, 2, 3, 4]
    assert [event.action for event in events] == ["login", "list", "view", "logout"]
    assert [event.prev_mac for event in events] == [GENESIS_MAC] + [e.mac for e in events[:3]]
    assert audit_chain_verify() == ChainCheck(rows_checked=4)


def test_sealing_with_nothing_pending_writes_nothing(administrator: User) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=administrator)
    audit_seal()

    with CaptureQueriesContext(connection) as queries:
        assert audit_seal() == 0

    assert not any(query["sql"].startswith("UPDATE") for query in queries.captured_queries)
    assert AuditEvent.objects.get().seq == 1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite seals in the transaction")
def test_a_transaction_that_appends_many_events_is_sealed_once_after_commit(
    administrator: User,
) -> None:
    def sealers() -> int:
        return sum(entry[1] is services._seal_after_commit for entry in connection.run_on_commit)

    with transaction.atomic():
        for _ in range(3):
            audit_record(action=AuditEvent.Action.LIST, actor=administrator)
        assert sealers() == 1
        with pytest.raises(RuntimeError), transaction.atomic():
            raise RuntimeError("a refused save rolls back its savepoint")
        assert sealers() == 1


def test_sealing_after_commit_never_fails_the_request(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: object) -> int:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "audit_seal", broken)

    services._seal_after_commit()  # returns: the event has committed, the answer stands

    assert "Sealing the audit trail failed" in caplog.text
