"""`manage.py restore` refuses, before writing anything, an archive that does not match its
manifest or is not a backup, a backup of the other database, and a target that holds data.

These archives are made by hand; the drill (test_restore_drill.py) restores a real one.
"""

import io
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from pytest_django.fixtures import Settings

from incidents.models import Attachment
from tests.backup.conftest import attachments_in
from tests.backup.support import manifest_for, write_archive
from tests.objectstorage import object_storage_server

pytestmark = pytest.mark.usefixtures("db")

SEALED = b"\x01" + b"ciphertext of a photo" * 10


def database_member() -> str:
    return "database/postgres.dump" if connection.vendor == "postgresql" else "database/db.sqlite3"


def good_members() -> dict[str, bytes]:
    return {database_member(): b"a database", "attachments/5f0c9a": SEALED}


def good_manifest() -> dict[str, object]:
    return manifest_for(good_members(), vendor=connection.vendor)


def refusal(archive: Path) -> str:
    with pytest.raises(CommandError) as error:
        call_command("restore", str(archive))
    return str(error.value)


@pytest.fixture
def restored_attachments(settings: Settings, tmp_path: Path) -> Path:
    """An empty attachments folder to restore into; the tests prove nothing reaches it."""
    return attachments_in(settings, tmp_path / "restored-attachments")


@pytest.mark.usefixtures("restored_attachments")
def test_a_good_archive_is_refused_while_the_database_holds_tables(tmp_path: Path) -> None:
    attachments = Attachment.objects.count()
    archive = write_archive(tmp_path / "b.tar.gz", good_members(), good_manifest())

    message = refusal(archive)

    assert message.startswith("The database already has ")
    assert "restored only into an empty database" in message
    assert message.endswith("Nothing was changed.")
    assert Attachment.objects.count() == attachments


def test_an_attachments_folder_that_holds_files_is_refused(
    tmp_path: Path, restored_attachments: Path
) -> None:
    restored_attachments.mkdir()
    (restored_attachments / "added-since").write_bytes(SEALED)
    archive = write_archive(tmp_path / "b.tar.gz", good_members(), good_manifest())

    message = refusal(archive)

    assert f"The attachments storage ({restored_attachments}) already holds files." in message
    assert [p.name for p in restored_attachments.iterdir()] == ["added-since"]


def test_a_bucket_that_holds_files_is_refused_by_its_name(
    tmp_path: Path, settings: Settings
) -> None:
    with object_storage_server() as server:
        bucket = server.new_bucket()
        settings.STORAGES = {**settings.STORAGES, "attachments": bucket.storage()}
        bucket.client().put_object(Bucket=bucket.name, Key="added-since", Body=SEALED)
        archive = write_archive(tmp_path / "b.tar.gz", good_members(), good_manifest())

        message = refusal(archive)

        assert f"The attachments storage ({bucket.name}) already holds files." in message
        assert "ATTACHMENTS_S3_BUCKET to an empty bucket" in message
        assert bucket.objects() == {"added-since": SEALED}


def test_a_member_altered_after_the_backup_is_refused(
    tmp_path: Path, restored_attachments: Path
) -> None:
    members = {**good_members(), "attachments/5f0c9a": SEALED[:-1] + b"!"}
    archive = write_archive(tmp_path / "b.tar.gz", members, good_manifest())

    assert refusal(archive) == (
        "The archive does not match its manifest: 1 altered (attachments/5f0c9a). "
        "Nothing was restored."
    )
    assert not restored_attachments.exists()


def test_a_member_missing_from_the_archive_is_refused(
    tmp_path: Path, restored_attachments: Path
) -> None:
    members = {database_member(): b"a database"}
    archive = write_archive(tmp_path / "b.tar.gz", members, good_manifest())

    assert refusal(archive) == (
        "The archive does not match its manifest: 1 missing (attachments/5f0c9a). "
        "Nothing was restored."
    )


def test_a_member_the_manifest_does_not_list_is_refused(
    tmp_path: Path, restored_attachments: Path
) -> None:
    members = {**good_members(), "attachments/slipped-in": SEALED}
    archive = write_archive(tmp_path / "b.tar.gz", members, good_manifest())

    assert refusal(archive) == (
        "The archive does not match its manifest: 1 not listed (attachments/slipped-in). "
        "Nothing was restored."
    )
    assert not restored_attachments.exists()


@pytest.mark.parametrize("name", ["attachments/../../outside", "/etc/cron.d/evil", "./x"])
def test_a_member_whose_name_could_leave_the_folder_is_refused(
    tmp_path: Path, restored_attachments: Path, name: str
) -> None:
    members = {**good_members(), name: SEALED}
    archive = write_archive(tmp_path / "b.tar.gz", members, good_manifest())

    message = refusal(archive)

    assert message == (
        f"The archive holds {name!r}, which no backup writes: it is not a SafeSpaces backup, "
        "or it was altered. Nothing was restored."
    )
    assert not (tmp_path / "outside").exists()
    assert not restored_attachments.exists()


def test_a_link_in_the_archive_is_refused(tmp_path: Path, restored_attachments: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        link = tarfile.TarInfo("attachments/5f0c9a")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)

    assert "The archive holds 'attachments/5f0c9a', which no backup writes" in refusal(archive)


def test_an_archive_without_a_manifest_is_not_a_backup(
    tmp_path: Path, restored_attachments: Path
) -> None:
    archive = tmp_path / "b.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(database_member())
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))

    assert refusal(archive) == (
        "The archive has no manifest.json: it is not a SafeSpaces backup, or it was cut short. "
        "Nothing was restored."
    )


def test_a_file_that_is_not_an_archive_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "notes.tar.gz"
    archive.write_bytes(b"meeting notes, not a backup")

    message = refusal(archive)

    assert message.startswith("The archive cannot be read (")
    assert "it is damaged or cut short" in message


def test_an_archive_cut_short_is_refused(tmp_path: Path, restored_attachments: Path) -> None:
    members = {**good_members(), "attachments/big": bytes(range(256)) * 4000}
    archive = write_archive(tmp_path / "b.tar.gz", members)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    assert "it is damaged or cut short" in refusal(archive)
    assert not restored_attachments.exists()


def test_a_backup_of_the_other_database_is_refused(
    tmp_path: Path, restored_attachments: Path
) -> None:
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    members = {
        ("database/db.sqlite3" if other == "sqlite" else "database/postgres.dump"): b"a database"
    }
    archive = write_archive(tmp_path / "b.tar.gz", members, manifest_for(members, vendor=other))

    assert refusal(archive) == (
        f"This backup is of a {other} database and the app is configured for "
        f"{connection.vendor}: restore it into a {other} database (DATABASE_URL). "
        "Nothing was restored."
    )


def test_a_manifest_of_a_newer_format_is_refused(tmp_path: Path) -> None:
    manifest = {**good_manifest(), "version": 2}
    archive = write_archive(tmp_path / "b.tar.gz", good_members(), manifest)

    assert refusal(archive) == (
        "The manifest cannot be used (format version 2, this release reads 1). "
        "Nothing was restored."
    )


def test_a_backup_with_attachments_needs_an_attachments_storage(tmp_path: Path) -> None:
    # The test settings configure none, as a server set up without ATTACHMENTS_DIR would not.
    archive = write_archive(tmp_path / "b.tar.gz", good_members(), good_manifest())

    assert refusal(archive) == (
        "The backup holds 1 attachments files and no attachments storage is configured "
        "(STORAGES). Nothing was restored."
    )
