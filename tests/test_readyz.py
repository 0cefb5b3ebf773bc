"""/readyz: a JSON naming every part, for load balancers and monitoring. 503 when this server
cannot serve (database, keys, audit chain, attachments folder); a missing worker or a late
sealer is named with 200, since every server would report it at once."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from safespaces.accounts.models import User
from safespaces.audit import services
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.health import SEAL_LATE
from safespaces.worker.heartbeat import heartbeat_beat
from tests.incidents.conftest import attachments_dir  # noqa: F401 - a fixture used here too
from tests.objectstorage import Bucket

ALL_OK = {
    "database": "ok",
    "keys": "ok",
    "audit": "ok",
    "worker": "ok",
    "storage": "ok",
    "sealer": "ok",
}


@pytest.fixture(autouse=True)
def running(settings: Settings, db: None, attachments_dir: Path) -> Iterator[None]:  # noqa: F811
    """A worker that beat just now, and an attachments folder: only the part under test fails."""
    settings.WORKER_HEALTH_CHECKS = True
    now = timezone.now()
    heartbeat_beat(worker_id="w1", started_at=now, now=now)
    yield


def test_it_names_every_part_without_login(client: Client) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == ALL_OK


def test_an_attachments_folder_it_cannot_make_takes_the_server_out(
    client: Client, settings: Settings, tmp_path: Path
) -> None:
    # Where a file stands in the way no folder can be made, whoever the app runs as.
    (tmp_path / "disk").write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "safespaces.files.PrivateFileSystemStorage",
            "OPTIONS": {"location": tmp_path / "disk" / "attachments"},
        },
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {**ALL_OK, "storage": "not writable"}


def test_an_attachments_folder_not_made_yet_is_ready_where_it_can_be_made(
    client: Client,
    attachments_dir: Path,  # noqa: F811 - the fixture
) -> None:
    assert not attachments_dir.exists()

    response = client.get("/readyz")

    assert response.json()["storage"] == "ok"


def test_object_storage_is_not_checked_and_the_server_stays_in(
    client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing is asked of the bucket, so none need answer here.
    bucket = Bucket(endpoint="http://127.0.0.1:9", name="safespaces-readyz")
    settings.STORAGES = {**settings.STORAGES, "attachments": bucket.storage()}
    # As under the hardened systemd unit, where no folder of the server's is writable: the
    # working folder is not the attachments' and must not decide.
    monkeypatch.setattr("safespaces.health.os.access", lambda *args, **kwargs: False)

    response = client.get("/readyz")

    assert response.json() == {**ALL_OK, "storage": "not checked"}
    assert response.status_code == 200


def test_audit_rows_left_unsealed_are_named_and_the_server_stays_in(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(services, "_seal_soon", lambda: None)  # as if no writer sealed it
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    written = AuditEvent.objects.get(seq__isnull=True).at

    with time_machine.travel(written + SEAL_LATE, tick=False):
        heartbeat_beat(worker_id="w1", started_at=timezone.now(), now=timezone.now())
        response = client.get("/readyz")

    since = f"{written:%Y-%m-%dT%H:%MZ}"
    assert response.status_code == 200
    # The answer is public: it says the sealer is late, not when audited things were done.
    assert response.json() == {**ALL_OK, "sealer": "late"}
    assert since not in response.content.decode()
    # The operator's log says since when.
    assert [r.getMessage() for r in caplog.records if r.name == "safespaces.health"] == [
        f"Audit rows have waited to be sealed since {since}"
    ]


def test_a_missing_worker_is_named_and_the_server_stays_in(client: Client) -> None:
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["worker"].startswith("not seen since ")


def test_a_database_that_does_not_answer_takes_the_server_out(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> None:
        raise OperationalError("could not connect to server at 10.0.0.5 as safespaces_app")

    with monkeypatch.context() as patched:
        patched.setattr("safespaces.health.connection.cursor", unreachable)
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "database": "unavailable",
        "keys": "unknown",
        "audit": "unknown",
        "worker": "unknown",
        "storage": "ok",
        "sealer": "unknown",
    }
    assert b"10.0.0.5" not in response.content
