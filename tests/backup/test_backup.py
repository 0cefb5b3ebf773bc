"""`manage.py backup` refuses what would lose an archive, and leaves nothing behind when it fails.

The archive itself is tested where it is restored (test_restore_drill.py): `backup` copies what
is committed, which needs tests on real transactions.
"""

import os
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from safespaces.backup import services
from safespaces.backup.databases import Dump

pytestmark = pytest.mark.usefixtures("db")


def refusal(destination: Path) -> str:
    with pytest.raises(CommandError) as error:
        call_command("backup", str(destination), stdout=StringIO())
    return str(error.value)


def test_it_refuses_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "backups"

    assert refusal(missing) == (
        f"{missing} is not a folder. Create it first (mkdir -m 700 {missing}), or give the "
        "archive's name, ending in .tar.gz, in a folder that exists."
    )
    assert os.listdir(tmp_path) == []


def test_it_never_overwrites_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "nightly.tar.gz"
    archive.write_bytes(b"last night's backup")

    assert refusal(archive) == f"{archive} already exists: a backup never overwrites another."
    assert archive.read_bytes() == b"last night's backup"


def test_a_backup_that_fails_midway_leaves_no_archive_and_no_copy_of_the_data(
    tmp_path: Path, attachments_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dumped(*, into: Path) -> Dump:
        (into / "db.sqlite3").write_bytes(b"the whole database")
        return Dump(into / "db.sqlite3", "database/db.sqlite3", "sqlite", "SQLite", {})

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    attachments_dir.mkdir()
    (attachments_dir / "5f0c9a").write_bytes(b"sealed")
    monkeypatch.setattr(services, "database_dump", dumped)
    monkeypatch.setattr(services.tarfile.TarFile, "addfile", disk_full)

    with pytest.raises(OSError, match="No space left on device"):
        call_command("backup", str(tmp_path), stdout=StringIO())

    assert sorted(os.listdir(tmp_path)) == ["attachments"]
