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
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from tests.browsing import Browser, Page, authenticator_code, form_as_sent
from tests.caddy import UPSTREAM_HEADER, caddy_balancing
from tests.factories import PASSWORD
from tests.incidents import samples
from tests.objectstorage import Bucket, object_storage_server
from tests.postgres import database_on_shared_server
from tests.servers import free_port, processes_running, wait_until_serving
from tests.wheel import PROJECT

CANARY = b"He followed her from the bus stop to the shelter's door."
STATEMENT = samples.pdf(CANARY)
# Sign-in failures before the pause: two, so that one on each server reaches it.
FAILURE_LIMIT = 2

# Caddy missing fails the test (tests.caddy.caddy_binary), as it would in CI: never a skip.
pytestmark = pytest.mark.scaleout

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


def upstream(page: Page) -> str:
    """The server that answered, as the balancer says ("" without one)."""
    return page.headers.get(UPSTREAM_HEADER, "")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A database of the test's own on the shared server, by a random name, dropped after."""
    with database_on_shared_server("safespaces_scaleout") as url:
        yield url


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


def gunicorn(port: int) -> list[str]:
    """An app server on `port`, with one gunicorn worker."""
    return [
        sys.executable, "-m", "gunicorn", "safespaces.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "1", "--timeout", "30",
    ]  # fmt: skip


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
        logs = stack.enter_context(
            processes_running(
                {f"app-{port}": gunicorn(port) for port in ports},
                cwd=PROJECT,
                env=env,
                logs=folder,
                stop_seconds=30,
            )
        )
        first, second = (f"http://127.0.0.1:{port}" for port in ports)
        upstreams = [urllib.parse.urlsplit(server).netloc for server in (first, second)]
        balancer = stack.enter_context(caddy_balancing(upstreams, folder / "caddy"))
        out, err = set_up.communicate(timeout=120)
        assert set_up.returncode == 0, err
        for server, port in zip((first, second), ports, strict=True):
            wait_until_serving(server, logs[f"app-{port}"])
        made = json.loads(out)
        key = bytes.fromhex(made["key"])
        yield Cluster((first, second), balancer, bucket, key, made["incident"], made["place"])


def a_browser() -> Browser:
    """One browser, which shows each redirect rather than following it."""
    return Browser(follow_redirects=False)


def signed_in(server: str, key: bytes) -> Browser:
    """Password, then the authenticator's code, both on `server`."""
    visitor = a_browser()
    answer = visitor.post(f"{server}/login/", {"username": "rosa", "password": PASSWORD})
    assert (answer.status, answer.body) == (302, b"")
    answer = visitor.post(f"{server}/login/verify/", {"code": authenticator_code(key)})
    assert answer.status == 302
    return visitor


@pytest.fixture(scope="module")
def visitor(cluster: Cluster) -> Browser:
    """The coordinator, signed in on the first server once: each authenticator code works once,
    and a second sign-in would have to wait for the next."""
    return signed_in(cluster.servers[0], cluster.key)


def test_signed_in_on_one_server_a_file_added_through_the_other_comes_back_from_both(
    cluster: Cluster, visitor: Browser
) -> None:
    first, second = cluster.servers

    added = visitor.post_file(
        f"{second}/incidents/{cluster.incident}/attachments/new/", "file", "s.pdf", STATEMENT
    )
    listed = visitor.get(f"{first}/incidents/{cluster.incident}/")
    codes = re.findall(r"/incidents/attachments/([0-9a-f-]{36})/", listed.text)
    assert added.status == 302
    assert listed.status == 200
    assert len(set(codes)) == 1
    download = f"/incidents/attachments/{codes[0]}/"
    from_first = visitor.get(first + download)
    balanced = [visitor.get(cluster.balancer + download) for _ in range(4)]

    assert from_first.status == 200
    assert from_first.body == STATEMENT
    assert [(answer.status, answer.body) for answer in balanced] == [(200, STATEMENT)] * 4
    served_by = {upstream(answer) for answer in balanced}
    assert served_by == {urllib.parse.urlsplit(server).netloc for server in (first, second)}
    stored = cluster.bucket.objects()
    assert len(stored) == 1
    (sealed,) = stored.values()
    assert len(sealed) > len(STATEMENT)
    assert CANARY not in sealed


def test_failed_sign_ins_on_both_servers_count_together_towards_the_pause(
    cluster: Cluster,
) -> None:
    visitor = a_browser()
    login = f"{cluster.balancer}/login/"
    # One form token for every try, as a browser tab keeps it: each request is then one sign-in,
    # and round robin sends each to the next server.
    token = visitor.get(login).csrf_token()

    failures = [
        visitor.post(login, {"username": "lin", "password": "not her password"}, token=token)
        for _ in range(FAILURE_LIMIT)
    ]
    right = visitor.post(login, {"username": "lin", "password": PASSWORD}, token=token)

    first, second = failures
    # The second failure, on the other server, is the one that reaches the limit: both servers
    # count in the same place. Counted per server, it would have been the first there.
    assert upstream(first) != upstream(second)
    assert first.status == 200
    assert "paused" not in first.text
    assert second.status == 429
    assert "paused" in second.text
    # The server that saw only one failure itself refuses the right password during the pause.
    assert upstream(right) == upstream(first)
    assert right.status == 429


def matches(answer: Page) -> list[str]:
    """The labels a picker's search shows."""
    assert answer.status == 200, answer.text
    return re.findall(r'value="[^"]+">([^<]+)</label>', answer.text)


def test_a_place_renamed_on_one_server_is_found_by_its_new_name_on_the_other(
    cluster: Cluster, visitor: Browser
) -> None:
    first, second = cluster.servers
    edit = f"{first}/places/{cluster.place}/edit/"
    token = visitor.get(f"{second}/places/").csrf_token()
    # The second server decrypts the names once and keeps them (safespaces.pickers).
    pick = f"{second}/places/pick/"
    before = visitor.post(pick, {"q": "lantern", "name": "place"}, token=token)
    form = form_as_sent(visitor.get(edit).body)
    form["name"] = ["Lantern Lighthouse"]
    renamed = visitor.post(edit, form, token=token)
    after = visitor.post(pick, {"q": "lighthouse", "name": "place"}, token=token)

    assert matches(before) == ["Lantern House (Shelter)"]
    assert renamed.status == 302
    assert matches(after) == ["Lantern Lighthouse (Shelter)"]
