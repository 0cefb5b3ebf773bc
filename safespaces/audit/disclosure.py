"""One audit event per response that shows decrypted content, whatever the view remembered.

A view may name what it shows (`audit_view`, `audit_list`); the encrypted fields note every row
they open. When the response is ready, `response_audit` writes one event: the record the view
named (or the only record shown) as its object, every other record shown in `shown`. So a form
re-rendered with errors after a POST, a list page or a fragment is recorded like any page,
without each view having to remember it. This module keeps the request's `Disclosure`; the
services write the events.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import models
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from safespaces.audit.models import AuditEvent
from safespaces.crypto.fields import RowName, openings
from safespaces.crypto.fields import row_name as record_name

Name = RowName


@dataclass
class Disclosure:
    """What one request has shown and recorded so far."""

    opened: set[Name]
    subject: models.Model | None = None  # named by the view with `audit_view`
    # What the view did with its subject: viewed, or exported (a page made to be printed).
    action: AuditEvent.Action = AuditEvent.Action.VIEW
    listed_type: str = ""  # named by the view with `audit_list`
    # The records each event of this request names, by the event's row number.
    written: dict[int, set[Name]] = field(default_factory=dict)


_disclosure: ContextVar[Disclosure | None] = ContextVar("disclosure", default=None)


@contextmanager
def disclosure_collected() -> Iterator[Disclosure]:
    with openings() as opened:
        disclosure = Disclosure(opened)
        token = _disclosure.set(disclosure)
        try:
            yield disclosure
        finally:
            _disclosure.reset(token)


def current() -> Disclosure | None:
    return _disclosure.get()


def name_of(text: str) -> Name:
    object_type, _, object_id = text.partition(":")
    return object_type, object_id


def note_written(event: AuditEvent) -> None:
    """An event was written: its records need no second event for this response."""
    disclosure = _disclosure.get()
    if disclosure is None:
        return
    names = {name_of(text) for text in event.shown or []}
    if event.object_id:
        names.add((event.object_type, event.object_id))
    disclosure.written[event.pk] = names


def _named(disclosure: Disclosure) -> set[Name]:
    """The records named by this request's events that still stand: one rolled back with a
    savepoint (a refused save) names nothing."""
    if not disclosure.written:
        return set()
    standing = AuditEvent.objects.filter(pk__in=disclosure.written).values_list("pk", flat=True)
    return {name for pk in standing for name in disclosure.written[pk]}


def opened_names() -> set[Name]:
    """Every record whose encrypted values were opened so far for this request."""
    disclosure = _disclosure.get()
    return set(disclosure.opened) if disclosure else set()


def shows_content(request: HttpRequest, response: HttpResponseBase) -> bool:
    """A redirect or an empty answer shows nothing; a streamed export records itself."""
    if isinstance(response, StreamingHttpResponse) or request.method == "HEAD":
        return False
    return not 300 <= response.status_code < 400


def shown_records(disclosure: Disclosure, *, viewer: models.Model | None) -> list[Name]:
    """The records opened for this response that no event names yet, in a stable order.

    The viewer's own account (their display name in the header) is not someone else's data.
    """
    names = set(disclosure.opened)
    for known in (disclosure.subject, viewer):
        if known is not None:
            names.discard(record_name(known))
    return sorted(names - _named(disclosure))
