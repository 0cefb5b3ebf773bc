"""Writing and checking the audit trail. Apps call `audit_record`; nothing else writes events."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from safespaces.audit.chain import event_mac
from safespaces.audit.models import GENESIS_MAC, AuditEvent

FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")

# Any constant shared by all app servers: the advisory lock that serialises chain appends.
_CHAIN_LOCK_ID = 0x5AFE_A0D1


def _lock_chain() -> None:
    """Serialise appends so two transactions never link to the same previous row.

    Postgres: a transaction-scoped advisory lock. SQLite: transactions start IMMEDIATE (see
    settings), which already holds the single write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


def audit_chain_lock() -> None:
    """Take the chain's lock now, before this transaction locks or writes any row.

    `audit_record` takes the lock when it appends, which is after the action's own writes. Two
    transactions could then each hold what the other waits for (one the lock, the other a row
    it has updated or referenced by a foreign key), and Postgres would kill one of them: a lost
    write. Taking the lock first in every transaction that writes and audits gives one lock
    order, which cannot deadlock. The lock is re-entrant: `audit_record` takes it again at no
    cost but a round trip. Called for unsafe requests by `access` and the admin site; code that
    writes outside a request (commands, the shell) calls it at the start of its transaction.
    """
    _lock_chain()


def audit_record(
    *,
    action: AuditEvent.Action,
    actor: models.Model | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    fields: Iterable[str] = (),
) -> AuditEvent:
    """Append one event in the caller's transaction; if it cannot be written, the caller fails.

    `target` names the object by model label and public code (or primary key); `fields` are the
    names of changed fields. Never pass values, names or free text.
    """
    if target is not None:
        object_type = target._meta.label_lower
        object_id = str(getattr(target, "code", None) or target.pk)
    fields = sorted(fields)
    if not all(FIELD_NAME.match(name) for name in fields):
        # A value passed by mistake must not land in the trail, which nobody can edit.
        raise ValueError("audit_record takes field names, never values")
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "mac").first()
        event = AuditEvent(
            seq=(last["seq"] + 1) if last else 1,
            at=timezone.now(),
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            fields=fields,
            prev_mac=last["mac"] if last else GENESIS_MAC,
        )
        event.mac = _mac_of(event)
        event.save(force_insert=True)
    return event


def audit_view(request: HttpRequest, target: models.Model) -> None:
    """Record that the current user looked at a sensitive page about `target`."""
    audit_record(action=AuditEvent.Action.VIEW, actor=request.user, target=target)


def _mac_of(event: AuditEvent) -> str:
    return event_mac(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        fields=list(event.fields),
        prev_mac=event.prev_mac,
    )


@dataclass
class ChainCheck:
    rows_checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def audit_chain_verify(*, progress: Callable[[int], None] = lambda n: None) -> ChainCheck:
    """Recompute the chain from the first row; stop at the first row that does not fit."""
    expected_seq, prev_mac, checked = 1, GENESIS_MAC, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        checked += 1
        progress(1)
        if event.seq != expected_seq:
            return ChainCheck(checked, event.seq, f"expected row {expected_seq}: rows are missing")
        if event.prev_mac != prev_mac:
            return ChainCheck(checked, event.seq, "does not link to the row before it")
        if event.mac != _mac_of(event):
            return ChainCheck(
                checked, event.seq, "its MAC does not match its content (altered or forged)"
            )
        expected_seq, prev_mac = event.seq + 1, event.mac
    return ChainCheck(checked)
