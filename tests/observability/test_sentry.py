"""Error reports to a Sentry-compatible server: exception classes, frames, the route and the
request id, and nothing of the request, its variables or the exception's message. A local HTTP
server stands for the ingest endpoint and keeps each envelope."""

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sentry_sdk
from django.test import Client

from safespaces.accounts.models import User
from safespaces.observability.sentry import event_scrub, sentry_init, sentry_problem
from tests.conftest import sign_in
from tests.observability.conftest import settings_with

CANARY = "zzcanary-a-survivors-words"


class Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def ingest() -> Iterator[list[bytes]]:
    """A Sentry ingest endpoint on a free local port, with the SDK pointed at it."""
    Ingest.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sentry_init(dsn=f"http://publickey@127.0.0.1:{server.server_port}/1", environment="test")
    yield Ingest.received
    sentry_sdk.get_client().close()
    # No client left for the tests that run after these in this process.
    sentry_sdk.get_global_scope().set_client(None)
    server.shutdown()
    server.server_close()


def events(envelopes: list[bytes]) -> list[dict[str, Any]]:
    """The event items of the envelopes (a header line, then item headers and payloads)."""
    found = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


def test_a_failing_page_is_reported_by_class_frames_route_and_request_id(
    ingest: list[bytes], staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        secret = CANARY  # a local variable of the failing frame
        raise RuntimeError(f"could not read {secret}")

    monkeypatch.setattr("safespaces.views.panels_for", fails)
    client = sign_in(Client(raise_request_exception=False), staff)
    client.cookies["preference"] = CANARY

    response = client.get(f"/?q={CANARY}", headers={"User-Agent": CANARY})
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    assert sentry_sdk.get_client().should_send_default_pii() is False
    sent = b"".join(ingest)
    assert CANARY.encode() not in sent
    assert b"could not read" not in sent
    assert str(staff.pk).encode() not in sent
    (event,) = events(ingest)
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["stacktrace"]["frames"][-1]["function"] == "fails"
    assert "vars" not in exception["stacktrace"]["frames"][-1]
    assert event["tags"] == {"route": "home", "request_id": response["X-Request-ID"]}
    assert set(event) <= {
        "event_id", "timestamp", "level", "platform", "release", "environment", "sdk",
        "exception", "transaction", "tags",
    }  # fmt: skip


def test_a_logged_error_without_an_exception_is_not_sent(ingest: list[bytes], db: None) -> None:
    sentry_sdk.capture_message(f"a message quoting {CANARY}")
    sentry_sdk.capture_exception(KeyError(CANARY))
    sentry_sdk.flush(timeout=5)

    sent = events(ingest)
    assert [event["exception"]["values"][0]["type"] for event in sent] == ["KeyError"]
    assert CANARY.encode() not in b"".join(ingest)


def test_a_dsn_without_the_sdk_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sentry_problem() is None
    monkeypatch.setattr("safespaces.observability.sentry.find_spec", lambda name: None)

    assert sentry_problem() == (
        "SENTRY_DSN is set, but sentry-sdk is not installed. "
        "Install it with pip install 'safespaces[sentry]', or unset SENTRY_DSN."
    )


def test_the_settings_start_reporting_only_when_a_dsn_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    # No client from an earlier test: get_client() then answers a new inactive one each time.
    sentry_sdk.get_global_scope().set_client(None)
    settings_with(monkeypatch)
    assert not sentry_sdk.get_client().is_active()

    settings_with(monkeypatch, SENTRY_DSN="http://publickey@127.0.0.1:9/1")
    try:
        client = sentry_sdk.get_client()
        assert client.options["dsn"] == "http://publickey@127.0.0.1:9/1"
        assert client.options["include_local_variables"] is False
        assert client.options["max_request_body_size"] == "never"
        assert client.options["max_breadcrumbs"] == 0
        assert client.options["before_send"] is event_scrub
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
