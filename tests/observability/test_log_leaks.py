"""The log leak test: a walk through the app with something secret in every kind of input, and
not one of them in the log.

Every page is opened by a persona its rule allows, with a search in the query string, a cookie
and headers holding canaries; every page with a form gets it back with a canary in each empty
field (free text, names, searches, passwords, codes). Then come the paths that carry codes or
anything at all: an old set-up link, a mistyped address, a host nobody serves, a form without
its token, a method nobody uses, a page that fails with a canary in its exception and its
variables. The log is that of the real LOGGING in JSON mode at DEBUG, with Django's query
logging switched on; it must hold no canary, and it must hold a request line with an id and a
status for every request.
"""

import logging
import re
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client

from safespaces.accounts.models import User
from tests.browsing import _FormReader
from tests.conftest import sign_in
from tests.incidents.conftest import attachments_dir  # noqa: F401 - a fixture used here too
from tests.observability.conftest import Logs
from tests.test_authorization import client_for, samples, users  # noqa: F401 - fixtures
from tests.test_every_page_translated import PERSONA
from tests.urlwalk import ADMIN_NAMESPACE, Samples, walk

CANARY = "zzcanary"
# Pages whose POST would end the persona's session or account for the rest of the walk.
NOT_POSTED = {
    "quick_exit",
    "accounts:logout",
    "accounts:sessions_end_others",
    "accounts:user_deactivate",
    "accounts:language_switch",
    "accounts:account_language",
}
REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")


def canary() -> str:
    return f"{CANARY}{uuid.uuid4().hex[:12]}"


def filled(html: bytes) -> dict[str, list[str]] | None:
    """The page's largest POST form with a canary in every field left empty."""
    reader = _FormReader()
    reader.feed(html.decode())
    if not reader.forms:
        return None
    form = max(reader.forms, key=len)
    return {
        name: [value or canary() for value in (values or [""])]
        for name, values in form.items()
        if name != "csrfmiddlewaretoken"
    }


@pytest.fixture
def queries_logged() -> Iterator[None]:
    # Django logs every query with its parameters at DEBUG when the cursor is a debug cursor.
    connection.force_debug_cursor = True
    yield
    connection.force_debug_cursor = False


class Walk:
    def __init__(self, personas: dict[str, User]) -> None:
        self.users = personas
        self.clients: dict[str, Client] = {}
        self.answers: list[tuple[str, int]] = []  # (X-Request-ID, status)

    def client(self, persona: str) -> Client:
        if persona not in self.clients:
            client = client_for(persona, self.users)
            client.cookies["tracking"] = canary()
            self.clients[persona] = client
        return self.clients[persona]

    def send(self, client: Client, method: str, path: str, **kwargs: object) -> bytes:
        headers = {"User-Agent": canary(), "Referer": f"https://example.org/{canary()}"}
        headers["X-Request-ID"] = canary()
        response = client.generic(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        self.answers.append((response["X-Request-ID"], response.status_code))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            return b""
        return response.content


def test_no_canary_reaches_the_log(
    json_logs: Logs,
    queries_logged: None,
    users: dict[str, User],  # noqa: F811 - the fixture
    samples: Samples,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walk_ = Walk(users)
    posted = 0
    for route in walk(samples=samples):
        if route.name.startswith(ADMIN_NAMESPACE + ":") or route.rule not in PERSONA:
            continue
        client = walk_.client(PERSONA[route.rule])
        page = walk_.send(client, "GET", f"{route.path}?q={canary()}&search={canary()}")
        form = filled(page) if b"<form" in page else None
        if form is not None and route.name not in NOT_POSTED:
            body = urlencode(form, doseq=True)
            walk_.send(
                client,
                "POST",
                f"{route.path}?next={canary()}",
                data=body,
                content_type="application/x-www-form-urlencoded",
            )
            posted += 1

    anonymous = Client()
    strict = Client(enforce_csrf_checks=True)
    failing = Client(raise_request_exception=False)
    walk_.send(
        anonymous,
        "POST",
        "/login/",
        data=f"username={canary()}&password={canary()}",
        content_type="application/x-www-form-urlencoded",
    )
    walk_.send(anonymous, "GET", f"/setup/{canary()}/")
    walk_.send(anonymous, "GET", f"/{canary()}/not-a-page/?token={canary()}")
    walk_.send(anonymous, "GET", "/login/", HTTP_HOST=f"{canary()}.example.org")
    walk_.send(
        strict,
        "POST",
        "/login/",
        data=f"username={canary()}",
        content_type="application/x-www-form-urlencoded",
    )
    walk_.send(anonymous, canary().upper(), "/login/")

    def fails(*args: object, **kwargs: object) -> None:
        secret = canary()  # a local variable of the failing frame
        raise RuntimeError(f"could not read {secret}")

    monkeypatch.setattr("safespaces.views.panels_for", fails)
    sign_in(failing, users["staff"])
    walk_.send(failing, "GET", f"/?q={canary()}")

    log = json_logs.text
    entries = json_logs.entries()
    requests = json_logs.requests()
    leaks = [line for line in log.splitlines() if CANARY in line.lower()]
    assert not leaks, "\n".join(leaks[:5])
    # The walk did what it says: many pages, many forms, and the failure.
    assert len(walk_.answers) > 150
    assert posted > 40
    assert (walk_.answers[-1][1]) == 500
    # A request line for every answer, under the id the answer named, with its status.
    assert sorted((entry["request_id"], entry["status"]) for entry in requests) == sorted(
        walk_.answers
    )
    assert all(REQUEST_ID.match(entry["request_id"]) for entry in requests)
    assert {entry["method"] for entry in requests} >= {"GET", "POST", "OTHER"}
    assert {"home", "accounts:setup_old_link", "-"} <= {entry["route"] for entry in requests}
    # The failure is logged with its class and frames, under the same id as its request line.
    failure = next(
        entry for entry in entries if entry["logger"] == "django.request" and entry.get("exception")
    )
    assert failure["request_id"] == walk_.answers[-1][0]
    assert failure["message"] == "Internal Server Error: RuntimeError"
    assert "in fails" in failure["exception"]
    assert failure["route"] == "home"
    # Everything at DEBUG was printed, the queries Django logged included, had they passed.
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
