"""Log records that carry the request's id and route, never its path, query, body or values.

Every record gets the id of the request it was written in (a context variable the request line
middleware sets), so one request's lines can be found together. The formatters print a fixed set
of fields: an `extra` added somewhere later is not printed until it is named here. Exceptions are
printed as their class and the file, line and function of each frame: an exception's message may
quote a value ("Key (email)=(...) already exists"), and so may the source line of a frame.
"""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest

# The id of the request being answered, and its route; empty outside a request (the worker, a
# command). Set by safespaces.observability.middleware.
request_id: ContextVar[str] = ContextVar("request_id", default="")
request_route: ContextVar[str] = ContextVar("request_route", default="")

# The fields of the request line, besides the message; printed when a record has them.
REQUEST_FIELDS = ("method", "route", "status", "duration_ms", "user_id")

# Any other method is logged as OTHER: the method is the client's text, like the path.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})


def route_of(request: HttpRequest) -> str:
    """The URL pattern's name ("people:detail"), or its route where it has no name: never the
    path, whose codes and tokens (a set-up link's) would be written down. "-" when nothing
    matched: a mistyped address may hold anything. "static" for a static file."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        # Static files are served before URLs are resolved; their names hold nothing.
        static = "/" + str(settings.STATIC_URL).lstrip("/")
        return "static" if request.path.startswith(static) else "-"
    return match.view_name or match.route or "-"


def method_of(request: HttpRequest) -> str:
    return request.method if request.method in METHODS else "OTHER"


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def exception_name(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def exception_frames(error: BaseException) -> list[tuple[str, int, str]]:
    """(file, line, function) of each frame, outermost first, read from the code objects: no
    source line, no variable."""
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        code = traceback.tb_frame.f_code
        frames.append((code.co_filename, traceback.tb_lineno, code.co_name))
        traceback = traceback.tb_next
    return frames


def exception_chain(error: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or during, first cause first, as Python
    prints them."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.insert(0, current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain


def safe_traceback(error: BaseException) -> str:
    lines = []
    for link in exception_chain(error):
        lines.append("Traceback (most recent call last):")
        lines += [
            f'  File "{file}", line {line}, in {function}'
            for file, line, function in exception_frames(link)
        ]
        lines.append(exception_name(link))
    return "\n".join(lines)


class RequestContextFilter(logging.Filter):
    """Put the request's id and route on every record, and rewrite the records Django writes
    about a request ("Not Found: /setup/<code>/") from fixed parts: the status's phrase and the
    route, never the path. Django escapes a path before logging it ("\\xc1" for "Á"), so the
    arguments cannot be told apart from the path by comparing them with it: none is kept. When
    such a record holds an exception, its message becomes the status and the exception's class,
    since Django's security records use the exception's text, which may quote a file name or a
    header."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            route = record.route = route_of(request)
            phrase = status_phrase(getattr(record, "status_code", 0))
            if record.exc_info and record.exc_info[1] is not None:
                record.msg, record.args = "%s: %s", (phrase, exception_name(record.exc_info[1]))
            elif record.name == "django.security.csrf":
                record.msg, record.args = "Forbidden (%s): %s", (csrf_reason(record), route)
            else:
                record.msg, record.args = "%s: %s", (phrase, route)
        elif not hasattr(record, "route") and request_route.get():
            record.route = request_route.get()
        return True


def csrf_reason(record: logging.LogRecord) -> str:
    """Django's reason for refusing a form, up to its dash: "Origin checking failed - <origin>
    does not match ..." quotes the client's Origin or Referer, a full address."""
    reason = record.args[0] if isinstance(record.args, tuple) and record.args else ""
    return str(reason).split(" - ", 1)[0]


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[1] is not None:
        return safe_traceback(record.exc_info[1])
    return None


class TextFormatter(logging.Formatter):
    """Plain lines for development and journald: time, level, logger, request id, message."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.get() or "-"
        # Replaces whatever another formatter may have cached on the record.
        record.exc_text = _exception_text(record)
        record.stack_info = None
        return super().format(record)

    def formatException(self, ei: object) -> str:  # noqa: N802 - logging's name
        error = ei[1] if isinstance(ei, tuple) else None
        return safe_traceback(error) if isinstance(error, BaseException) else ""


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for a log collector. Written here rather than taken from a
    library: it is a few lines, and what matters is that it prints only the fields named here
    (python-json-logger, for one, prints every `extra` a record carries)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get() or None,
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        exception = _exception_text(record)
        if exception:
            entry["exception"] = exception
        return json.dumps(entry, default=str, ensure_ascii=False)
