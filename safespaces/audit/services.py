"""Writing and checking the audit trail. Apps call `audit_record`; nothing else writes events."""

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit import disclosure
from safespaces.audit.chain import audit_keys, current_audit_key, event_mac, fingerprint
from safespaces.audit.disclosure import Name
from safespaces.audit.models import GENESIS_MAC, AuditEvent

FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
RECORD_NAME = re.compile(r"^[a-z_][a-z0-9_.]*:[A-Za-z0-9-]+$")

logger = logging.getLogger(__name__)

# Any constant shared by all app servers: the advisory lock that lets one sealer run at a time.
_SEALER_LOCK_ID = 0x5AFE_A0D1
# Rows sealed per transaction: one UPDATE and a few milliseconds of HMACs, so the sealer's lock
# and its row locks are short, and a backlog is worked through in steps.
SEAL_BATCH = 500


def _sealer_lock(*, wait: bool) -> bool:
    """Take the sealer's lock for this transaction; without `wait`, only if it is free.

    Only sealers take it, never a request's own transaction, so no request waits for it.
    Postgres: a transaction-scoped advisory lock. SQLite: transactions start IMMEDIATE (see
    settings), which already holds the single write lock.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEALER_LOCK_ID])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SEALER_LOCK_ID])
        row = cursor.fetchone()
        return bool(row and row[0])


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

    The event is inserted with its content only, under no lock: its place in the chain is given
    by `audit_seal` once the caller has committed (see `_seal_soon`), so concurrent requests
    never wait on each other for the trail.

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
        # A row that could never be sealed under this AUDIT_KEY would sit in the trail unlinked,
        # and nobody can remove it: check the key against the sealed head (a read, one HMAC) and
        # refuse the action instead, as before any event is written.
        problem = _head_problem(_head())
        if problem is not None:
            _alert(problem)
            raise AuditKeyMismatch(problem)
        event = AuditEvent(
            at=timezone.now(),
            actor=signed_in,
            action=action,
            object_type=object_type,
            object_id=object_id,
            fields=fields,
            shown=shown or None,
        )
        event.save(force_insert=True)
        _seal_soon()
    disclosure.note_written(event)
    return event


class AuditKeyMismatch(Exception):
    """AUDIT_KEY does not continue the audit chain, so nothing can be recorded (or done)."""


KEY_MISMATCH = "AUDIT_KEY does not match the audit trail's last entry"


def _head() -> AuditEvent | None:
    """The last sealed row: the one the next row to be sealed links to."""
    return AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").first()


# Inside ResponseAuditMiddleware: whether events are sealed once the response has been sent
# rather than after each commit. Then, until Django's request_finished (the response sent),
# whether one has committed and waits for that seal.
_seal_after_response: ContextVar[bool] = ContextVar("audit_seal_after_response", default=False)
_seal_due: ContextVar[bool] = ContextVar("audit_seal_due", default=False)


@contextmanager
def audit_sealing_after_response() -> Iterator[None]:
    """Around a request: the events it commits are sealed in one run once its response has been
    sent (`audit_seal_sent_response`), not after each commit, so the person does not wait for
    the sealer and a page that writes two events (an export and what it shows) is sealed once.
    Outside the block, as in the worker and in commands, an event is sealed as it commits.

    A seal due outlives the block on purpose: request_finished comes after it. If it never
    came, the next request's seals, or the worker's audit_seal_pending."""
    deferred = _seal_after_response.set(True)
    try:
        yield
    finally:
        _seal_after_response.reset(deferred)


def audit_seal_sent_response(**kwargs: object) -> None:
    """On `request_finished`, once the server has sent the response: seal what the request
    committed. A process that stops first leaves the rows to the worker's `audit_seal_pending`."""
    if _seal_due.get():
        _seal_due.set(False)
        _seal_after_commit()


def _seal_soon() -> None:
    """See that the event just inserted is sealed within moments of its commit.

    SQLite: this transaction has held the database's one write lock since it began (IMMEDIATE),
    so sealing in it makes no one wait, and the row is sealed when it commits. Postgres: right
    after the caller commits (during a request, once its response has been sent), in a
    transaction of its own, by whichever writer gets the sealer's lock first; the worker's
    recurring `audit_seal_pending` catches what no writer sealed, so no row waits longer than
    its interval (SEAL_EVERY in safespaces.audit.apps).
    """
    if connection.vendor == "sqlite":
        audit_seal()
        return
    after_commit = _seal_after_response_due if _seal_after_response.get() else _seal_after_commit
    if not any(entry[1] is after_commit for entry in connection.run_on_commit):
        # Once per transaction, however many events it appends (a seed writes thousands): one
        # sealer seals them all. Callbacks of a savepoint rolled back are dropped with it, so a
        # later event in the same transaction registers it again.
        transaction.on_commit(after_commit)


def _seal_after_response_due() -> None:
    _seal_due.set(True)


def _seal_after_commit() -> None:
    # The event has committed: nothing here may fail the request, whose answer stands.
    try:
        audit_seal()
    except AuditKeyMismatch:
        pass  # alerted already; the rows wait, unsealed, for the right key
    except Exception:
        logger.exception("Sealing the audit trail failed; the worker's next run tries again.")


def audit_seal(*, batch: int = SEAL_BATCH) -> int:
    """Link pending rows into the MAC chain in order of arrival; return how many were sealed.

    Each batch is one short transaction under the sealer's lock, taken without waiting: when
    another sealer holds it, that one (or the next) seals these rows, and this returns at once.
    Raises AuditKeyMismatch, after alerting, when AUDIT_KEY does not continue the chain: the
    rows then wait, unsealed, until the right key is back or `rotate_audit_key` has run.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            if not _sealer_lock(wait=False):
                return sealed
            head = _head()
            current = current_audit_key()
            key = current if head is None else _continuing_key(head, [current])
            if key is None:
                _alert(KEY_MISMATCH)
                raise AuditKeyMismatch(KEY_MISMATCH)
            _, count = _seal_pending(head=head, key=key, limit=batch)
        sealed += count
        if count < batch:
            return sealed


def _seal_pending(
    *, head: AuditEvent | None, key: bytes, limit: int
) -> tuple[AuditEvent | None, int]:
    """Seal up to `limit` pending rows after `head` under `key`, in one UPDATE; the caller
    holds the sealer's lock. Returns the new head and how many rows were sealed."""
    pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:limit])
    for event in pending:
        event.seq = _seq_of(head) + 1 if head else 1
        event.prev_mac = head.mac if head else GENESIS_MAC
        event.mac = _mac_of(event, key=key)
        head = event
    # The triggers let exactly this through: the chain fields of a pending row, nothing else.
    AuditEvent.objects.bulk_update(pending, ["seq", "prev_mac", "mac"])
    return head, len(pending)


def _continuing_key(head: AuditEvent, keys: list[bytes]) -> bytes | None:
    """Of `keys`, the one the row after `head` must be MACed under, if any.

    After a checkpoint that is the key it names; after any other row, the key that row is
    MACed under.
    """
    if head.action == AuditEvent.Action.AUDIT_KEY_ROTATION:
        return next((key for key in keys if fingerprint(key) == head.object_id), None)
    return next((key for key in keys if head.mac == _mac_of(head, key=key)), None)


def _head_problem(head: AuditEvent | None) -> str | None:
    if head is None or _continuing_key(head, [current_audit_key()]) is not None:
        return None
    return KEY_MISMATCH


def _alert(problem: str) -> None:
    # The trail cannot record its own failure, and in-app notices are audited too: the log is
    # the channel that still works. Operators alert on ERROR (docs/operations.md, Keys).
    logger.error(
        "Refused to write to the audit trail: %s. Restore AUDIT_KEY from the key backup, or "
        "finish a rotation with `manage.py rotate_audit_key`.",
        problem,
    )


def audit_key_status() -> str | None:
    """None when AUDIT_KEY continues the chain; otherwise why events cannot be written."""
    return _head_problem(_head())


def audit_key_rotate() -> AuditEvent | None:
    """Carry the chain over to the current AUDIT_KEY with a checkpoint row.

    The checkpoint is MACed under the key that continues the chain so far (one of
    AUDIT_KEY_PREVIOUS) and names the new key by its fingerprint; rows after it are MACed under
    the new key. Rows still pending were appended before the key changed: they are sealed first,
    under the old key, so the checkpoint comes after every one of them. All of it under the
    sealer's lock (waited for: this is an operator's command, and sealers are quick). Returns
    None when the chain already continues under AUDIT_KEY (or is empty); raises
    AuditKeyMismatch when no configured key continues it.
    """
    with transaction.atomic():
        _sealer_lock(wait=True)
        head = _head()
        if head is None or _head_problem(head) is None:
            return None
        old = _continuing_key(head, audit_keys()[1:])
        if old is None:
            raise AuditKeyMismatch(
                "neither AUDIT_KEY nor any key in AUDIT_KEY_PREVIOUS matches the audit trail's "
                "last entry"
            )
        count = SEAL_BATCH
        while count == SEAL_BATCH:
            sealed_head, count = _seal_pending(head=head, key=old, limit=SEAL_BATCH)
            assert sealed_head is not None
            head = sealed_head
        event = AuditEvent(
            seq=_seq_of(head) + 1,
            at=timezone.now(),
            action=AuditEvent.Action.AUDIT_KEY_ROTATION,
            object_type="audit.key",
            object_id=fingerprint(current_audit_key()),
            fields=[],
            prev_mac=head.mac,
        )
        event.mac = _mac_of(event, key=old)
        event.save(force_insert=True)
    return event


def audit_view(
    request: HttpRequest,
    target: models.Model,
    *,
    action: AuditEvent.Action = AuditEvent.Action.VIEW,
) -> None:
    """Record that the current user looked at a sensitive page about `target`, or, with
    `action` EXPORT, took it out of the app (a page made to be printed).

    During a request the event is written with the response, as its one event, together with
    every other record the page shows (see `disclosure`).
    """
    collected = disclosure.current()
    if collected is not None and collected.subject is None:
        collected.subject, collected.action = target, action
        return
    audit_record(action=action, actor=request.user, target=target)


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
        return audit_record(action=collected.action, actor=actor, target=subject, shown=shown)
    types = {object_type for object_type, _id in records}
    return audit_record(
        action=AuditEvent.Action.LIST,
        actor=actor,
        object_type=listed_type or (types.pop() if len(types) == 1 else ""),
        shown=shown,
    )


def _seq_of(event: AuditEvent) -> int:
    if event.seq is None:
        raise ValueError("a pending audit row has no place in the chain yet")
    return event.seq


def _mac_of(event: AuditEvent, *, key: bytes | None = None) -> str:
    return event_mac(
        key=key,
        seq=_seq_of(event),
        at=event.at,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        fields=list(event.fields),
        shown=list(event.shown or []),
        prev_mac=event.prev_mac,
    )


@dataclass
class ChainCheck:
    rows_checked: int
    first_broken_seq: int | None = None
    reason: str = ""
    # Rows not yet sealed when the check ran (another sealer held the lock, or the key is
    # wrong): not yet part of the chain, so not checked.
    pending: int = 0


def audit_chain_verify(*, progress: Callable[[int], None] = lambda n: None) -> ChainCheck:
    """Seal what is pending, then recompute the chain from the first row; stop at the first row
    that does not fit.

    The first row may be MACed under any configured audit key (the trail may predate a
    rotation); from then on each row must be MACed under the key the chain continues under,
    which only a checkpoint row changes.
    """
    try:
        audit_seal()
    except AuditKeyMismatch:
        pass  # alerted; the chain so far is still worth checking
    pending = AuditEvent.objects.filter(seq__isnull=True).count()
    check = _chain_check(progress)
    check.pending = pending
    return check


def _chain_check(progress: Callable[[int], None]) -> ChainCheck:
    keys = audit_keys()
    expected_seq, prev_mac, checked = 1, GENESIS_MAC, 0
    chain_key: bytes | None = None
    named_next = ""
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in sealed.iterator(chunk_size=2000):
        checked += 1
        progress(1)
        if event.seq != expected_seq:
            return ChainCheck(checked, event.seq, f"expected row {expected_seq}: rows are missing")
        if event.prev_mac != prev_mac:
            return ChainCheck(checked, event.seq, "does not link to the row before it")
        if named_next:
            return ChainCheck(
                checked,
                event.seq,
                f"the checkpoint before it names audit key {named_next}, which is neither "
                "AUDIT_KEY nor in AUDIT_KEY_PREVIOUS",
            )
        if chain_key is None:
            chain_key = next((key for key in keys if event.mac == _mac_of(event, key=key)), None)
            if chain_key is None:
                return ChainCheck(
                    checked,
                    event.seq,
                    "its MAC does not match its content under any configured audit key "
                    "(altered or forged, or the key is missing)",
                )
        elif event.mac != _mac_of(event, key=chain_key):
            return ChainCheck(
                checked, event.seq, "its MAC does not match its content (altered or forged)"
            )
        if event.action == AuditEvent.Action.AUDIT_KEY_ROTATION:
            chain_key = _continuing_key(event, keys)
            named_next = event.object_id if chain_key is None else ""
        expected_seq, prev_mac = expected_seq + 1, event.mac
    return ChainCheck(checked)
