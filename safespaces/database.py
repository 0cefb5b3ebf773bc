"""Limits on the database that apply to web requests only."""

from django.conf import settings
from django.db import connections
from django.db.utils import ConnectionHandler


def web_statement_timeout_apply(
    handler: ConnectionHandler = connections, *, timeout: str | None = None
) -> None:
    """Have every Postgres connection this process opens from now on give up a statement after
    `timeout` (default DATABASE_STATEMENT_TIMEOUT; "0" is no limit).

    Called by wsgi.py, so it covers gunicorn and runserver and nothing else: `migrate`, the
    worker, `backup` and `rotate_keys` run statements that may rightly take minutes. The limit
    travels in the connection's start-up options, so it costs no extra round trip. It is kept
    below gunicorn's 30-second timeout: Postgres cancels the statement and the person sees the
    outage page, where a killed worker would leave a bare proxy error and the query running.
    """
    timeout = settings.DATABASE_STATEMENT_TIMEOUT if timeout is None else timeout
    for alias in handler:
        # The dict every connection of this alias is made from, in every thread.
        database = handler.settings[alias]
        if database["ENGINE"] != "django.db.backends.postgresql" or timeout == "0":
            continue
        options = database.setdefault("OPTIONS", {})
        given = options.get("options", "")
        options["options"] = f"{given} -c statement_timeout={timeout}".strip()
