"""Error reports to a self-hosted Sentry-compatible server (Sentry, GlitchTip), when SENTRY_DSN
is set: the optional extra `safespaces[sentry]`.

The SDK would send the request's address, headers, cookies and body, the local variables of
each frame and source lines around them, breadcrumbs of earlier log lines, the server's name.
It is told to collect none of these, and `event_scrub` then rebuilds each event from a short
list of what may leave: the exceptions' classes, their frames' files, lines and functions, the
route's name and the request id (to find the log lines), the level and the release. Anything a
later SDK adds is dropped until it is named here.
"""

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, cast

from safespaces.observability.logs import request_id, request_route

FRAME_FIELDS = ("filename", "abs_path", "module", "function", "lineno", "in_app")
EVENT_FIELDS = ("event_id", "timestamp", "level", "platform", "release", "environment", "sdk")


def sentry_problem() -> str | None:
    if find_spec("sentry_sdk") is None:
        return (
            "SENTRY_DSN is set, but sentry-sdk is not installed. "
            "Install it with pip install 'safespaces[sentry]', or unset SENTRY_DSN."
        )
    return None


def _exception(value: dict[str, Any]) -> dict[str, Any]:
    frames = (value.get("stacktrace") or {}).get("frames") or []
    return {
        "type": value.get("type"),
        "module": value.get("module"),
        "stacktrace": {
            "frames": [
                {name: frame[name] for name in FRAME_FIELDS if name in frame} for frame in frames
            ]
        },
    }


if TYPE_CHECKING:
    from sentry_sdk.types import Event


def event_scrub(event: "Event", hint: dict[str, Any]) -> "Event | None":
    """The event as it may leave: an event without an exception (a log message) is not sent,
    since its text is all it has."""
    values = (event.get("exception") or {}).get("values") or []
    if not values:
        return None
    kept: dict[str, Any] = {name: event[name] for name in EVENT_FIELDS if name in event}  # type: ignore[literal-required]
    kept["exception"] = {"values": [_exception(value) for value in values]}
    route = request_route.get() or "-"
    kept["transaction"] = route
    kept["tags"] = {"route": route, "request_id": request_id.get() or "-"}
    return cast("Event", kept)


def sentry_init(*, dsn: str, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    from safespaces.cli import installed_version

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=f"safespaces@{installed_version()}",
        # Only Django's exceptions: no logging integration (log lines as events and
        # breadcrumbs), no others the SDK would switch on by what is installed.
        default_integrations=False,
        auto_enabling_integrations=False,
        integrations=[
            DjangoIntegration(middleware_spans=False, signals_spans=False, cache_spans=False)
        ],
        # send_default_pii is left at its default, False (user ids, addresses, cookies, headers
        # not sent): newer SDKs warn when it is given at all.
        include_local_variables=False,
        include_source_context=False,
        max_request_body_size="never",
        max_breadcrumbs=0,
        send_client_reports=False,
        server_name="-",
        traces_sample_rate=None,
        before_send=event_scrub,
        before_send_transaction=lambda event, hint: None,
    )
