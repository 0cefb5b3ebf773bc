"""The restore drill, on whichever database the suite runs on (SQLite, and Postgres in CI): back
up, add data, restore into an empty database, verify the encryption and the audit trail, and
compare the counts. The commands run as an operator runs them; only the database and the
attachments folder they point at are this test's own."""

import hashlib
import json
import os
import re
import stat
import tarfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from safespaces.backup.databases import database_counts
from tests.backup.conftest import attachments_in
from tests.backup.support import an_empty_database, members_of
from tests.factories import IncidentFactory, PersonFactory
from tests.incidents.test_attachment_download import added
from tests.objectstorage import object_storage_server

pytestmark = [
    # `backup` copies what is committed, as it does on a live server.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
]


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=out)
    return out.getvalue()


def backup_into(folder: Path) -> tuple[Path, dict[str, Any]]:
    """Run `backup` into `folder`; the archive and its manifest."""
    folder.mkdir()
    run("backup", str(folder))
    (archive,) = folder.iterdir()
    return archive, json.loads(members_of(archive)["manifest.json"])


def test_a_backup_restores_into_an_empty_database_and_passes_both_checks(
    tmp_path: Path, settings: Settings, attachments_dir: Path
) -> None:
    incident = IncidentFactory()
    first = added(incident)
    PersonFactory()
    archive, manifest = backup_into(tmp_path / "backups")
    # Logged after the backup: not in it.
    added(incident, name="later.pdf")
    live = database_counts()

    attachments_in(settings, tmp_path / "restored-attachments")
    with an_empty_database(tmp_path):
        restored_out = run("restore", str(archive))
        verified = run("verify_encryption")
        audited = run("audit_verify")
        restored = database_counts()

    assert "The row counts match the manifest." in restored_out
    assert restored == manifest["tables"]
    assert live["incidents_attachment"] == restored["incidents_attachment"] + 1 == 2
    assert live["incidents_timelineentry"] == restored["incidents_timelineentry"] + 1
    assert restored["people_person"] == 1
    assert "Files checked: 1. Failures: 0." in verified
    values = re.search(r"Values checked: (\d+)\. Failures: 0\.", verified)
    assert values is not None and int(values[1]) > 0
    assert f"Rows checked: {restored['audit_auditevent']}." in audited
    assert restored["audit_auditevent"] > 0
    assert [p.name for p in (tmp_path / "restored-attachments").iterdir()] == [first.stored_as]


def test_the_archive_is_its_owners_alone_holds_no_key_and_a_manifest_of_every_member(
    tmp_path: Path, settings: Settings, attachments_dir: Path
) -> None:
    first, second = added(), added(name="second.pdf")

    archive, manifest = backup_into(tmp_path / "backups")

    vendor = manifest["database"]["vendor"]
    database = "database/postgres.dump" if vendor == "postgresql" else "database/db.sqlite3"
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
    members = members_of(archive)
    assert archive.name.startswith("safespaces-backup-") and archive.name.endswith(".tar.gz")
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    assert names == [
        database,
        *sorted(f"attachments/{a.stored_as}" for a in (first, second)),
        "manifest.json",
    ]
    # Nothing else is left beside it: no dump, no partial archive.
    assert os.listdir(tmp_path / "backups") == [archive.name]
    assert manifest["format"] == "safespaces-backup" and manifest["version"] == 1
    assert manifest["tables"] == database_counts()
    assert manifest["tables"]["incidents_attachment"] == 2
    assert manifest["files"] == {"attachments": 2}
    assert manifest["members"] == {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for name, data in members.items()
        if name != "manifest.json"
    }
    everything = b"".join(members.values())
    field_keys = [entry.split(":", 1)[1] for entry in settings.FIELD_ENCRYPTION_KEYS.split(",")]
    keys = [settings.SECRET_KEY, settings.BLIND_INDEX_KEY, settings.AUDIT_KEY, *field_keys]
    assert all(len(key) >= 32 for key in keys)
    assert [key for key in keys if key.encode() in everything] == []


def test_a_backup_of_a_bucket_restores_into_an_empty_bucket(
    tmp_path: Path, settings: Settings
) -> None:
    with object_storage_server() as server:
        live = server.new_bucket()
        settings.STORAGES = {**settings.STORAGES, "attachments": live.storage()}
        first = added()
        archive, manifest = backup_into(tmp_path / "backups")
        in_the_archive = members_of(archive)
        fresh = server.new_bucket()
        settings.STORAGES = {**settings.STORAGES, "attachments": fresh.storage()}
        with an_empty_database(tmp_path):
            restored_out = run("restore", str(archive))
            verified = run("verify_encryption")

        sealed = live.objects()
        assert manifest["files"] == {"attachments": 1}
        assert in_the_archive[f"attachments/{first.stored_as}"] == sealed[first.stored_as]
        assert "The row counts match the manifest." in restored_out
        assert fresh.objects() == sealed
        assert "Files checked: 1. Failures: 0." in verified
