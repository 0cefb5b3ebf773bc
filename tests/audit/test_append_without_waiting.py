"""Requests append to the audit trail without waiting on each other (Postgres).

Each test runs two transactions at once on their own connections, as two app servers would:
one holds its transaction open while the other appends and commits. With the chain's lock of
old, the second waited for the first to commit; now it must not wait at all.
"""

import threading
import time
from collections.abc import Callable

from django.db import transaction

from safespaces.accounts.models import User
from safespaces.audit import services
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import ChainCheck, audit_chain_verify, audit_record, audit_seal
from tests.postgres import committing_on_postgres
from tests.threads import in_thread

# Far below HOLD: an append that waited for the open transaction would take all of HOLD.
QUICK = 2.0
HOLD = 10.0

pytestmark = committing_on_postgres(
    "SQLite runs one writing transaction at a time (BEGIN IMMEDIATE) by design"
)


def holding_open(
    begin: Callable[[], None],
) -> tuple[threading.Thread, threading.Event, threading.Event]:
    """A transaction that runs `begin`, then stays open until released (or HOLD passes)."""
    started, release = threading.Event(), threading.Event()

    def work() -> None:
        with transaction.atomic():
            begin()
            started.set()
            release.wait(HOLD)

    return in_thread(work), started, release


def timed_append(actor: User) -> tuple[float, AuditEvent]:
    """Append an event in a transaction of its own, on this thread's connection; how long the
    whole of it took, commit and sealing included, and the row as stored afterwards."""
    began = time.monotonic()
    with transaction.atomic():
        event = audit_record(
            action=AuditEvent.Action.LIST, actor=actor, object_type="people.person"
        )
    return time.monotonic() - began, AuditEvent.objects.get(pk=event.pk)


def test_an_append_does_not_wait_for_another_open_transaction_that_appended(
    staff: User, coordinator: User
) -> None:
    holder, started, release = holding_open(
        lambda: audit_record(
            action=AuditEvent.Action.VIEW, actor=staff, object_type="people.person"
        )
    )
    assert started.wait(HOLD)
    result: list[tuple[float, AuditEvent]] = []
    other = in_thread(lambda: result.append(timed_append(coordinator)))
    other.join(HOLD + QUICK)
    release.set()
    holder.join()

    ((took, appended),) = result
    assert took < QUICK
    # Sealed right after its own commit, ahead of the row still uncommitted then.
    assert appended.seq == 1
    assert AuditEvent.objects.get(action=AuditEvent.Action.VIEW).seq == 2
    assert audit_chain_verify() == ChainCheck(rows_checked=2)


def test_a_running_sealer_makes_no_writer_wait_and_its_row_is_sealed_next(staff: User) -> None:
    holder, started, release = holding_open(lambda: services._sealer_lock(wait=True))
    assert started.wait(HOLD)
    result: list[tuple[float, AuditEvent]] = []
    writer = in_thread(lambda: result.append(timed_append(staff)))
    writer.join(HOLD + QUICK)
    release.set()
    holder.join()

    ((took, appended),) = result
    assert took < QUICK
    assert appended.seq is None  # the sealer's lock was taken: left for the next sealer
    assert audit_seal() == 1
    assert AuditEvent.objects.get().seq == 1
    assert audit_chain_verify() == ChainCheck(rows_checked=1)
