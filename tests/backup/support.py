"""Helpers of the backup tests: an empty database to restore into, and archives made by hand."""

import copy
import hashlib
import io
import json
import secrets
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from safespaces.backup.services import MANIFEST


@contextmanager
def an_empty_database(folder: Path) -> Iterator[str]:
    """While the block runs, the app's database is a new, empty one of this test's own: a file in
    `folder` on SQLite; on Postgres a scratch database created here and dropped after, by its own
    random name (never another database). Yields its name.

    The test database's connection is set aside and put back after, so the commands under test
    run unchanged against the empty one, as on a server whose DATABASE_URL names it.
    """
    original = connections[DEFAULT_DB_ALIAS]
    postgres = original.vendor == "postgresql"
    if postgres:
        name = f"safespaces_restore_{secrets.token_hex(4)}"
        # template0 takes no connections, so no other session can make the copy fail.
        with original.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    else:
        name = str(folder / "restored.sqlite3")
    settings_dict = copy.deepcopy(original.settings_dict)
    settings_dict["NAME"] = name
    empty = type(original)(settings_dict, DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = empty
    try:
        yield name
    finally:
        empty.close()
        connections[DEFAULT_DB_ALIAS] = original
        if postgres:
            with original.cursor() as cursor:
                cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def manifest_for(members: dict[str, bytes], *, vendor: str = "sqlite") -> dict[str, Any]:
    """A manifest as `backup` writes it, for the members given."""
    return {
        "format": "safespaces-backup",
        "version": 1,
        "created_at": "2026-03-01T02:00:00+00:00",
        "database": {
            "vendor": vendor,
            "member": "database/db.sqlite3" if vendor == "sqlite" else "database/postgres.dump",
            "made_with": "by hand",
        },
        "tables": {},
        "files": {"attachments": sum(1 for n in members if n.startswith("attachments/"))},
        "members": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in members.items()
        },
    }


def write_archive(
    path: Path, members: dict[str, bytes], manifest: dict[str, Any] | None = None
) -> Path:
    """A .tar.gz holding `members` and, last, `manifest` (by default the one they call for)."""
    content = json.dumps(manifest or manifest_for(members)).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [*members.items(), (MANIFEST, content)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def members_of(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {
            info.name: tar.extractfile(info).read()  # type: ignore[union-attr]
            for info in tar
        }
