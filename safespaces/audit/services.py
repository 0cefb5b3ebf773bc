"""Writing and checking the audit trail. Apps call `audit_record`; nothing else writes events."""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit import disclosure
from safespaces.audit.chain import event_mac
from safespaces.audit.disclosure import Name
from safespaces.audit.models import GENESIS_MAC, AuditEvent

FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
RECORD_NAME = re.compile(r"^[a-z_][a-z0-9_.]*:[A-Za-z0-9-]+$")

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
    cost but a round trip. `access` takes it first thing for unsafe requests of signed-in people
    and, for PUBLIC views, just before their first write (`chain_locked_before_first_write`); the
    admin site takes it for unsafe requests; code that writes outside a request (commands, the
    shell) calls it at the start of its transaction.
    """
    _lock_chain()


def audit_record(
    *,
    action: AuditEvent.Action,
    actor: User | AnonymousUser | None = None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    fields: Iterable[str] = (),
    shown: Iterable[str] = (),
) -> AuditEvent:
    """Append one event in the caller's transaction; if it cannot be written, the caller fails.

    `target` names the object by model label and public code (or primary key); `fields` are the
    names of changed fields; `shown` names other records a response showed ("label:id"). Never
    pass values, names or free text. An anonymous actor (a failed sign-in, quick exit) is recorded
    as no one.
    """
    if target is not None:
        object_type, object_id = disclosure.record_name(target)
    fields = sorted(fields)
    shown = sorted(shown)
    if not all(FIELD_NAME.match(name) for name in fields):
        # A value passed by mistake must not land in the trail, which nobody can edit.
        raise ValueError("audit_record takes field names, never values")
    if not all(RECORD_NAME.match(name) for name in shown):
        raise ValueError("audit_record takes record names (label:id), never values")
    signed_in = actor if actor is not None and actor.is_authenticated else None
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "mac").first()
        event = AuditEvent(
            seq=(last["seq"] + 1) if last else 1,
            at=timezone.now(),
            actor=signed_in,
            action=action,
            object_type=object_type,
            object_id=object_id,
            fields=fields,
            shown=shown or None,
            prev_mac=last["mac"] if last else GENESIS_MAC,
        )
        event.mac = _mac_of(event)
        event.save(force_insert=True)
    disclosure.note_written(event)
    return event


def audit_view(request: HttpRequest, target: models.Model) -> None:
    """Record that the current user looked at a sensitive page about `target`.

    During a request the event is written with the response, as its one event, together with
    every other record the page shows (see `disclosure`).
    """
    collected = disclosure.current()
    if collected is not None and collected.subject is None:
        collected.subject = target
        return
    audit_record(action=AuditEvent.Action.VIEW, actor=request.user, target=target)


def audit_list(request: HttpRequest, *, object_type: str) -> None:
    """Record that the current user looked at a list of `object_type` records."""
    collected = disclosure.current()
    if collected is not None:
        collected.listed_type = object_type
        return
    audit_record(action=AuditEvent.Action.LIST, actor=request.user, object_type=object_type)


def audit_export(
    request: HttpRequest, *, object_type: str, fields: Iterable[str], records: Iterable[Name]
) -> AuditEvent:
    """Record an export of `records`, naming them and every record whose encrypted values were
    opened to make it (a place's or a source's name), so each one's access report finds it."""
    names = sorted(set(records) | disclosure.opened_names())
    return audit_record(
        action=AuditEvent.Action.EXPORT,
        actor=request.user,
        object_type=object_type,
        fields=fields,
        shown=[f"{object_type}:{object_id}" for object_type, object_id in names],
    )


def response_audit(*, request: HttpRequest, response: HttpResponseBase) -> AuditEvent | None:
    """Write the one event of a response: what the view named, and every record it showed.

    A redirect after a save shows nothing and writes nothing unless the view named a record;
    its change or create event says what happened.
    """
    collected = disclosure.current()
    if collected is None or request.method == "HEAD":
        return None
    actor, subject, listed_type = request.user, collected.subject, collected.listed_type
    records: list[Name] = []
    if disclosure.shows_content(request, response):
        viewer = actor if actor.is_authenticated else None
        records = disclosure.shown_records(collected, viewer=viewer)
    if subject is None and not listed_type:
        if not records:
            return None
        if len(records) == 1:
            object_type, object_id = records[0]
            return audit_record(
                action=AuditEvent.Action.VIEW,
                actor=actor,
                object_type=object_type,
                object_id=object_id,
            )
    shown = [f"{object_type}:{object_id}" for object_type, object_id in records]
    if subject is not None:
        return audit_record(action=AuditEvent.Action.VIEW, actor=actor, target=subject, shown=shown)
    types = {object_type for object_type, _id in records}
    return audit_record(
        action=AuditEvent.Action.LIST,
        actor=actor,
        object_type=listed_type or (types.pop() if len(types) == 1 else ""),
        shown=shown,
    )


def _mac_of(event: AuditEvent) -> str:
    return event_mac(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        fields=list(event.fields),
        shown=list(event.shown or []),
        prev_mac=event.prev_mac,
    )


def audit_head_verifies() -> bool:
    """Whether the newest row's MAC matches its content under the current AUDIT_KEY: one row,
    cheap enough for every health check. True for an empty trail."""
    head = AuditEvent.objects.order_by("-seq").first()
    return head is None or head.mac == _mac_of(head)


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
