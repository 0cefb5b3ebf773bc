"""Several app servers hold no state of their own: two gunicorn servers behind one Caddy load
balancer, on one Postgres database and one bucket of S3-compatible object storage, answer as
one.

The test creates a database of its own on the shared Postgres server (127.0.0.1:5432, dropped at
the end), starts a local S3 server (tests.objectstorage), migrates, and serves the app twice.
Someone signs in on the first server (password, then a code from the authenticator), adds a file
through the second and downloads it from the first; through the balancer, whose answers say
which server gave them, both servers give the same file. A place renamed on one server is found
by its new name on the other, whose picker had kept the old one. Failed sign-ins sent to both
servers count together towards the pause. About 25 s on two idle cores, most of it the migrations: a
step of its own (`make test-scaleout`, in CI), not part of every `make test`.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg2
import pytest
from django_otp.oath import totp

from tests.browsing import form_as_sent
from tests.caddy import CADDY, UPSTREAM_HEADER, caddy_balancing
from tests.factories import PASSWORD
from tests.incidents import samples
from tests.objectstorage import Bucket, object_storage_server
from tests.servers import free_port, wait_until_serving
from tests.test_outage_page import HiddenFields

PROJECT = Path(__file__).resolve().parent.parent
SHARED_POSTGRES = "postgres://postgres@127.0.0.1:5432"
CANARY = b"He followed her from the bus stop to the shelter's door."
STATEMENT = samples.pdf(CANARY)
# Sign-in failures before the pause: two, so that one on each server reaches it.
FAILURE_LIMIT = 2

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.skipif(CADDY is None, reason="Caddy is not installed (apt-get install caddy)"),
]

# Migrate; a coordinator with an authenticator, a staff member, an incident and a place. Prints
# the coordinator's authenticator key and the codes of the incident and the place.
SET_UP = """
import json, django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django_otp.plugins.otp_totp.models import TOTPDevice
from safespaces.accounts.roles import Role
from tests.factories import IncidentFactory, PlaceFactory, UserFactory
coordinator = UserFactory(username="rosa", role=Role.COORDINATOR)
UserFactory(username="lin", role=Role.STAFF)
incident = IncidentFactory()
place = PlaceFactory(name="Lantern House")
key = TOTPDevice.objects.get(user=coordinator).bin_key.hex()
print(json.dumps({"key": key, "incident": str(incident.pk), "place": str(place.pk)}))
"""


@dataclass(frozen=True)
class Cluster:
    servers: tuple[str, str]  # each app server's own address
    balancer: str  # Caddy's, round robin over both
    bucket: Bucket
    key: bytes  # the coordinator's authenticator key
    incident: str  # the code of an incident the coordinator may see
    place: str  # the code of a shelter named "Lantern House"


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    upstream: str  # the server that answered, as the balancer says ("" without one)

    @property
    def page(self) -> str:
        return self.body.decode()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Visitor:
    """One browser: cookies kept for 127.0.0.1 whichever port it talks to, as browsers do."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects()
        )

    def request(self, url: str, data: bytes | None = None, content_type: str = "") -> Answer:
        request = urllib.request.Request(url, data=data)  # noqa: S310  # always http://127.0.0.1
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with self.opener.open(request, timeout=30) as answer:
                return Answer(answer.status, answer.read(), answer.headers[UPSTREAM_HEADER] or "")
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), error.headers[UPSTREAM_HEADER] or "")

    def token(self, url: str) -> str:
        answer = self.request(url)
        assert answer.status == 200, answer.page
        return dict(HiddenFields(answer.page).fields)["csrfmiddlewaretoken"]

    def post(self, url: str, token: str = "", **fields: str) -> Answer:
        """The form sent with `token`, or with the one a fresh copy of the page holds."""
        form = {"csrfmiddlewaretoken": token or self.token(url), **fields}
        return self.request(url, urllib.parse.urlencode(form).encode())

    def post_file(self, url: str, field: str, name: str, data: bytes) -> Answer:
        boundary = secrets.token_hex(16)
        token = self.token(url)
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
        return self.request(url, body, f"multipart/form-data; boundary={boundary}")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database of the test's own on the shared server, by a random name, dropped after."""
    name = f"safespaces_scaleout_{secrets.token_hex(4)}"
    server = psycopg2.connect(f"{SHARED_POSTGRES}/postgres")
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"{SHARED_POSTGRES}/{name}"
    finally:
        with server.cursor() as cursor:
            # FORCE: the app servers' kept connections may not have closed yet.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()


def app_env(database: str, bucket: Bucket) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "safespaces.settings",
        "DATABASE_URL": database,
        # Plain HTTP on 127.0.0.1, and static files from the source folders: what changes is
        # where the state lives, not the production headers.
        "DEBUG": "true",
        "WORKER_HEALTH_CHECKS": "false",
        # Caddy stands before the app and says who the client is.
        "PROXY_COUNT": "1",
        "AXES_FAILURE_LIMIT": str(FAILURE_LIMIT),
        "PYTHONUNBUFFERED": "1",
        **bucket.environment(),
    }


@contextmanager
def gunicorns(ports: Sequence[int], env: dict[str, str], folder: Path) -> Iterator[list[str]]:
    """An app server on each port, one gunicorn worker each; all stopped together at the end."""
    servers = []
    for port in ports:
        with (folder / f"app-{port}.log").open("wb") as output:
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "safespaces.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--timeout",
                        "30",
                    ],
                    cwd=PROJECT,
                    env=env,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
    try:
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        # Each takes a moment to stop its worker: side by side, not one after the other.
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def two_ports() -> tuple[int, int]:
    first = free_port()
    second = free_port()
    while second == first:
        second = free_port()
    return first, second


@pytest.fixture(scope="module")
def cluster(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack:
        bucket = stack.enter_context(object_storage_server()).new_bucket()
        env = app_env(database, bucket)
        # The servers start while the database is migrated: they connect only for a request.
        set_up = subprocess.Popen(
            [sys.executable, "-c", SET_UP], cwd=PROJECT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        ports = two_ports()
        first, second = stack.enter_context(gunicorns(ports, env, folder))
        upstreams = [urllib.parse.urlsplit(server).netloc for server in (first, second)]
        balancer = stack.enter_context(caddy_balancing(upstreams, folder / "caddy"))
        out, err = set_up.communicate(timeout=120)
        assert set_up.returncode == 0, err
        for server, port in zip((first, second), ports, strict=True):
            wait_until_serving(server, folder / f"app-{port}.log")
        made = json.loads(out)
        key = bytes.fromhex(made["key"])
        yield Cluster((first, second), balancer, bucket, key, made["incident"], made["place"])


def signed_in(server: str, key: bytes) -> Visitor:
    """Password, then the authenticator's code, both on `server`."""
    visitor = Visitor()
    answer = visitor.post(f"{server}/login/", username="rosa", password=PASSWORD)
    assert (answer.status, answer.body) == (302, b"")
    answer = visitor.post(f"{server}/login/verify/", code=f"{totp(key):06d}")
    assert answer.status == 302
    return visitor


@pytest.fixture(scope="module")
def visitor(cluster: Cluster) -> Visitor:
    """The coordinator, signed in on the first server once: each authenticator code works once,
    and a second sign-in would have to wait for the next."""
    return signed_in(cluster.servers[0], cluster.key)


def test_signed_in_on_one_server_a_file_added_through_the_other_comes_back_from_both(
    cluster: Cluster, visitor: Visitor
) -> None:
    first, second = cluster.servers

    added = visitor.post_file(
        f"{second}/incidents/{cluster.incident}/attachments/new/", "file", "s.pdf", STATEMENT
    )
    listed = visitor.request(f"{first}/incidents/{cluster.incident}/")
    codes = re.findall(r"/incidents/attachments/([0-9a-f-]{36})/", listed.page)
    assert added.status == 302
    assert listed.status == 200
    assert len(set(codes)) == 1
    download = f"/incidents/attachments/{codes[0]}/"
    from_first = visitor.request(first + download)
    balanced = [visitor.request(cluster.balancer + download) for _ in range(4)]

    assert from_first.status == 200
    assert from_first.body == STATEMENT
    assert [(answer.status, answer.body) for answer in balanced] == [(200, STATEMENT)] * 4
    served_by = {answer.upstream for answer in balanced}
    assert served_by == {urllib.parse.urlsplit(server).netloc for server in (first, second)}
    stored = cluster.bucket.objects()
    assert len(stored) == 1
    (sealed,) = stored.values()
    assert len(sealed) > len(STATEMENT)
    assert CANARY not in sealed


def test_failed_sign_ins_on_both_servers_count_together_towards_the_pause(
    cluster: Cluster,
) -> None:
    visitor = Visitor()
    login = f"{cluster.balancer}/login/"
    # One form token for every try, as a browser tab keeps it: each request is then one sign-in,
    # and round robin sends each to the next server.
    token = visitor.token(login)

    failures = [
        visitor.post(login, token, username="lin", password="not her password")
        for _ in range(FAILURE_LIMIT)
    ]
    right = visitor.post(login, token, username="lin", password=PASSWORD)

    first, second = failures
    # The second failure, on the other server, is the one that reaches the limit: both servers
    # count in the same place. Counted per server, it would have been the first there.
    assert first.upstream != second.upstream
    assert first.status == 200
    assert "paused" not in first.page
    assert second.status == 429
    assert "paused" in second.page
    # The server that saw only one failure itself refuses the right password during the pause.
    assert right.upstream == first.upstream
    assert right.status == 429


def matches(answer: Answer) -> list[str]:
    """The labels a picker's search shows."""
    assert answer.status == 200, answer.page
    return re.findall(r'value="[^"]+">([^<]+)</label>', answer.page)


def test_a_place_renamed_on_one_server_is_found_by_its_new_name_on_the_other(
    cluster: Cluster, visitor: Visitor
) -> None:
    first, second = cluster.servers
    edit = f"{first}/places/{cluster.place}/edit/"
    token = visitor.token(f"{second}/places/")
    # The second server decrypts the names once and keeps them (safespaces.pickers).
    before = visitor.post(f"{second}/places/pick/", token, q="lantern", name="place")
    form = form_as_sent(visitor.request(edit).body)
    form["name"] = ["Lantern Lighthouse"]
    renamed = visitor.request(
        edit, urllib.parse.urlencode({**form, "csrfmiddlewaretoken": token}, doseq=True).encode()
    )
    after = visitor.post(f"{second}/places/pick/", token, q="lighthouse", name="place")

    assert matches(before) == ["Lantern House (Shelter)"]
    assert renamed.status == 302
    assert matches(after) == ["Lantern Lighthouse (Shelter)"]
