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
from django.conf import settings
from django.db import connection
from django.test import Client

from safespaces.accounts.models import User
from tests.browsing import FormReader
from tests.conftest import sign_in
from tests.incidents.conftest import attachments_dir  # noqa: F401 - a fixture used here too
from tests.incidents.test_attachment_object_storage import (  # noqa: F401 - fixtures
    bucket,
    server,
    upload,
)
from tests.objectstorage import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Bucket
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


# What a browser would accept in inputs of these types; free text gets a canary.
TYPED = {
    "date": "2026-12-01",
    "datetime-local": "2026-12-01T10:00",
    "time": "10:00",
    "number": "1",
    "email": "zzcanary@example.org",
    "url": "https://zzcanary.example.org/",
}


class _Filler(FormReader):
    """The form reader, also noting each input's type and each list's first choice."""

    def __init__(self) -> None:
        super().__init__()
        self.types: dict[str, str] = {}
        self.first_choice: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "input" and attributes.get("name"):
            self.types[attributes["name"]] = attributes.get("type", "text")
            if attributes.get("type") == "radio" and self.inside:
                self.first_choice.setdefault(attributes["name"], attributes.get("value", "on"))
        if tag == "option" and self.select and attributes.get("value"):
            self.first_choice.setdefault(self.select, attributes["value"])
        super().handle_starttag(tag, attrs)


def filled(html: bytes) -> dict[str, list[str]] | None:
    """The page's largest POST form as someone would send it: what it holds, the first choice
    of each list left unchosen, a valid value in typed inputs and a canary in every other
    field left empty."""
    reader = _Filler()
    reader.feed(html.decode())
    if not reader.forms:
        return None
    form = max(reader.forms, key=len)
    for name in reader.first_choice:
        form.setdefault(name, [])  # a choice of buttons with none chosen
    sent = {}
    for name, values in form.items():
        if name == "csrfmiddlewaretoken":
            continue
        if not values and name in reader.first_choice:
            values = [reader.first_choice[name]]
        default = TYPED.get(reader.types.get(name, "text"))
        sent[name] = [value or default or canary() for value in (values or [""])]
    return sent


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
        self.saved = 0  # forms accepted (redirected after the POST)

    def client(self, persona: str) -> Client:
        if persona not in self.clients:
            client = client_for(persona, self.users)
            client.cookies["tracking"] = canary()
            self.clients[persona] = client
        return self.clients[persona]

    def send(
        self,
        client: Client,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        **kwargs: object,
    ) -> bytes:
        sent = {"User-Agent": canary(), "Referer": f"https://example.org/{canary()}"}
        sent["X-Request-ID"] = canary()
        sent.update(headers or {})
        response = client.generic(method, path, headers=sent, **kwargs)  # type: ignore[arg-type]
        self.answers.append((response["X-Request-ID"], response.status_code))
        self.saved += method == "POST" and response.status_code == 302
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
    # Over HTTPS Django checks the Origin, then the Referer, and its log line quotes them.
    for header in ("Origin", "Referer"):
        secure = Client(enforce_csrf_checks=True)
        walk_.send(secure, "GET", "/login/", secure=True)
        walk_.send(
            secure,
            "POST",
            "/login/",
            secure=True,
            headers={header: f"https://{canary()}.example/{canary()}"},
            data=f"csrfmiddlewaretoken={secure.cookies[settings.CSRF_COOKIE_NAME].value}",
            content_type="application/x-www-form-urlencoded",
        )

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
    assert walk_.saved >= 5
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
    # Django's lines about refused forms were there, with the route for the path.
    messages = {entry["message"] for entry in entries}
    assert "Forbidden (Origin checking failed): accounts:login" in messages
    assert "Forbidden (Referer checking failed): accounts:login" in messages
    assert "Forbidden (CSRF cookie not set.): accounts:login" in messages
    assert "Method Not Allowed: accounts:login" in messages
    # Everything at DEBUG was printed, the queries Django logged included, had they passed.
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG


# Django escapes a path before it logs it ("\xc1" for "Á", "\\" for a backslash, "\x01" for a
# control character), so the escaped path is no longer the request's: a filter that looked for
# the path itself would let it through.
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", "Á"), ("POST", "Á"), ("GET", "\\"), ("GET", "%01")],
    ids=["non-ascii", "non-ascii-post", "backslash", "control-character"],
)
def test_an_escaped_path_is_written_as_its_route(
    json_logs: Logs, staff: User, method: str, suffix: str
) -> None:
    client = sign_in(Client(), staff)

    response = client.generic(method, f"/incidents/{canary()}{suffix}/")

    assert response.status_code == 404
    leaks = [line for line in json_logs.text.splitlines() if CANARY in line.lower()]
    assert not leaks, "\n".join(leaks)
    (request_line,) = json_logs.requests()
    assert (request_line["method"], request_line["route"], request_line["status"]) == (
        method,
        "-",
        404,
    )
    (django_line,) = [e for e in json_logs.entries() if e["logger"] == "django.request"]
    assert django_line["message"] == "Not Found: -"
    assert django_line["request_id"] == response["X-Request-ID"]


def test_object_storage_requests_are_not_written_at_debug(
    json_logs: Logs,
    staff: User,
    bucket: Bucket,  # noqa: F811 - the fixture
) -> None:
    # The S3 client logs each request it signs at DEBUG: its headers (the Authorization header
    # names the access key; a session's token is there too), the object's name and its body.
    response, attachment = upload(sign_in(Client(), staff))

    assert response.status_code == 302
    assert attachment is not None
    log = json_logs.text
    secrets = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, bucket.name, attachment.stored_as, "Authorization")
    assert [secret for secret in secrets if secret in log] == []
    (request_line,) = [e for e in json_logs.requests() if e["method"] == "POST"]
    assert (request_line["route"], request_line["status"]) == (
        "incidents:attachment_create",
        302,
    )
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    assert list(bucket.objects()) == [attachment.stored_as]
