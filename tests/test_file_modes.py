"""What the app writes to disk is for its own user only: the SQLite database with its WAL and
shared-memory files, and the attachments folder with every file in it, from the moment each is
created, not once a chmod catches up."""

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from pytest_django.fixtures import Settings

from incidents.attachments import attachment_storage
from safespaces import settings as production

# A fresh process under the usual umask opens an SQLite database, as `migrate` or the first
# request does, and writes to it, which makes SQLite add the WAL and shared-memory files.
CHILD = """
import os
import django

django.setup()
from django.db import connection

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE notes (body TEXT)")
    cursor.execute("INSERT INTO notes VALUES ('x')")
    name = connection.settings_dict["NAME"]
    for path in (name, f"{name}-wal", f"{name}-shm"):
        print(oct(os.stat(path).st_mode & 0o777))
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_journal_files_are_the_owners_only(
    tmp_path: Path,
) -> None:
    database = tmp_path / "db.sqlite3"
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
        umask=0o022,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert done.stdout.split() == ["0o600", "0o600", "0o600"]
    assert database.stat().st_size > 0


class WatchedFile(ContentFile):
    """Content that notes the mode of every file in the folder while it is being written."""

    def __init__(self, content: bytes, folder: Path, seen: list[int]) -> None:
        super().__init__(content)
        self.folder, self.seen = folder, seen

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self.seen.extend(mode(path) for path in self.folder.iterdir())
        yield from super().chunks(chunk_size)


@pytest.fixture
def production_storage(settings: Settings, tmp_path: Path) -> Path:
    """The attachments storage as configured for production, in a folder not made yet."""
    folder = tmp_path / "attachments"
    configured = production.STORAGES["attachments"]
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {**configured, "OPTIONS": {**configured["OPTIONS"], "location": folder}},
    }
    return folder


def test_an_attachment_and_its_folder_are_the_owners_only_from_the_start(
    production_storage: Path,
) -> None:
    seen: list[int] = []

    name = attachment_storage().save("sealed", WatchedFile(b"ciphertext", production_storage, seen))

    assert seen == [0o600]  # while the ciphertext was being written
    assert mode(production_storage / name) == 0o600
    assert mode(production_storage) == 0o700
    assert (production_storage / name).read_bytes() == b"ciphertext"
