"""One audit event per response that shows decrypted content, whatever the view remembered.

A view may name what it shows (`audit_view`, `audit_list`); the encrypted fields note every row
they open. When the response is ready, `response_audit` writes one event: the record the view
named (or the only record shown) as its object, every other record shown in `shown`. So a form
re-rendered with errors after a POST, a list page or a fragment is recorded like any page,
without each view having to remember it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import models
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from safespaces.crypto.fields import Opened, openings


def record_name(instance: models.Model) -> tuple[str, str]:
    """How the trail names a record: model label and public code (or primary key)."""
    return instance._meta.label_lower, str(getattr(instance, "code", None) or instance.pk)


@dataclass
class Response:
    """What one request has shown and recorded so far."""

    opened: Opened
    subject: models.Model | None = None  # named by the view with `audit_view`
    listed_type: str = ""  # named by the view with `audit_list`
    named: set[tuple[str, str]] = field(default_factory=set)  # by events already written


_response: ContextVar[Response | None] = ContextVar("audited_response", default=None)


@contextmanager
def audited_response() -> Iterator[Response]:
    with openings() as opened:
        response = Response(opened)
        token = _response.set(response)
        try:
            yield response
        finally:
            _response.reset(token)


def current() -> Response | None:
    return _response.get()


def note_named(object_type: str, object_id: str, shown: list[str]) -> None:
    """An event was written: its records need no second event for this response."""
    response = _response.get()
    if response is None:
        return
    if object_id:
        response.named.add((object_type, object_id))
    response.named.update(tuple(name.split(":", 1)) for name in shown)  # type: ignore[misc]


def shows_content(request: HttpRequest, response: HttpResponseBase) -> bool:
    """A redirect or an empty answer shows nothing; a streamed export records itself."""
    if isinstance(response, StreamingHttpResponse) or request.method == "HEAD":
        return False
    return not 300 <= response.status_code < 400


def shown_records(response: Response, viewer: models.Model | None) -> list[tuple[str, str]]:
    """The records opened for this response that no event names yet, in a stable order.

    The viewer's own account (their display name in the header) is not someone else's data.
    """
    names = {record_name(instance) for instance in response.opened.values()}
    for known in (response.subject, viewer):
        if known is not None:
            names.discard(record_name(known))
    return sorted(names - response.named)
