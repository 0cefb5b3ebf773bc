"""Administrators hear of every unhandled exception (a 500), by email, without the request's data.

The report holds the exception's class, the route, the request id, the time and the file, line
and function of each frame: no value, no posted field, no query, no cookie, no exception message
(which may quote a value). It goes through the task queue, so the failed request does not wait
for a mail server; safespaces.notifications.server_errors writes and sends it.

An error that repeats must not flood the administrators: one report per exception class and
route every REPEAT_AFTER, and no more than PER_HOUR an hour, in each app process.
"""

import logging
import sys
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from safespaces.observability.logs import exception_frames, exception_name, request_id

logger = logging.getLogger(__name__)

REPEAT_AFTER = 15 * 60  # seconds
PER_HOUR = 10

ErrorReport = dict[str, object]


def short_path(file: str) -> str:
    """A frame's file from the project or site-packages folder down: the same on every server."""
    path = Path(file)
    roots = {Path(settings.BASE_DIR), *(Path(entry) for entry in sys.path if entry)}
    # The deepest first: site-packages may sit inside the standard library's folder.
    for root in sorted(roots - {Path("/")}, key=lambda root: len(root.parts), reverse=True):
        if path.is_relative_to(root):
            return str(path.relative_to(root))
    return file


def error_report(error: BaseException, *, route: str, at: datetime | None = None) -> ErrorReport:
    """What an administrator is told: JSON-ready, and nothing the request carried."""
    return {
        "error": exception_name(error),
        "route": route,
        "request_id": request_id.get(),
        "time": (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "frames": [
            [short_path(file), line, function] for file, line, function in exception_frames(error)
        ],
    }


class Throttle:
    """At most one report per key every `repeat_after` seconds and `per_hour` an hour."""

    def __init__(self, *, repeat_after: float = REPEAT_AFTER, per_hour: int = PER_HOUR) -> None:
        self.repeat_after = repeat_after
        self.per_hour = per_hour
        self.last: dict[tuple[str, str], float] = {}
        self.sent: deque[float] = deque()
        self.lock = threading.Lock()

    def allow(self, key: tuple[str, str], now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self.lock:
            while self.sent and now - self.sent[0] >= 3600:
                self.sent.popleft()
            last = self.last.get(key)
            if (last is not None and now - last < self.repeat_after) or len(
                self.sent
            ) >= self.per_hour:
                return False
            self.last[key] = now
            self.sent.append(now)
            return True


throttle = Throttle()


class AdministratorsHandler(logging.Handler):
    """On Django's request logger: queues a report of each unhandled exception for the
    administrators. Only records of a 500 with an exception; everything else passes by."""

    def emit(self, record: logging.LogRecord) -> None:
        # The task module reads the notification module, which the settings cannot import.
        from safespaces.notifications import sending
        from safespaces.notifications.server_errors import server_error_send

        if getattr(record, "status_code", 0) < 500 or not record.exc_info:
            return
        error = record.exc_info[1]
        if error is None or not sending.email_configured():
            return
        route = str(getattr(record, "route", "-"))
        if not throttle.allow((exception_name(error), route)):
            return
        try:
            server_error_send.enqueue(error_report(error, route=route))
        except Exception as failure:  # noqa: BLE001 - the database may be what failed
            logger.warning("The error report could not be queued: %s", exception_name(failure))
