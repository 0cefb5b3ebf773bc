"""Writing a backup archive and restoring one (the format is described in safespaces.backup)."""

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import connection
from django.utils import timezone

from safespaces.backup.databases import (
    VENDORS,
    BackupError,
    database_counts,
    database_dump,
    database_restore,
    database_tables,
)

FORMAT = "safespaces-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Storages whose files go into the archive, each under a folder of its own. The attachments are
# the only files that hold data; static files come with the code.
FILE_STORAGES = {"attachments": "attachments"}
# What a backup writes: plain relative names. Anything else in an archive is refused before it
# can reach a path (`..`, absolute names, links, devices).
MEMBER_NAME = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")
MANIFEST_LIMIT = 64 * 1024 * 1024
CHUNK = 1024 * 1024


class Steps(Protocol):
    """Where a long operation reports its progress: a step, then amounts done in it."""

    def start(self, description: str, total: float | None) -> None: ...
    def advance(self, amount: float) -> None: ...


class Quiet:
    def start(self, description: str, total: float | None) -> None:
        pass

    def advance(self, amount: float) -> None:
        pass


@dataclass(frozen=True)
class BackupResult:
    archive: Path
    size: int
    tables: int
    rows: int
    files: int
    # Files listed but gone before they were copied: never one a row of the snapshot names.
    vanished: int


@dataclass(frozen=True)
class RestoreResult:
    created_at: str
    vendor: str
    tables: int
    rows: int
    files: int


def archive_name(now: datetime) -> str:
    return f"safespaces-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar.gz"


# --- Backup ------------------------------------------------------------------------------------


def backup_write(*, destination: Path, steps: Steps | None = None) -> BackupResult:
    """Write one archive of the database and the attachments into `destination` (a folder, or
    the archive's own name ending in .tar.gz), readable by its owner only.

    The app may go on serving meanwhile. The database is copied first, in one snapshot; the files
    after it. A file is written before the row that names it is committed, and never rewritten,
    so every file a row of the snapshot names is there to be copied; files added meanwhile come
    along too and are named by no row. The archive appears under its name only once complete.
    """
    steps = steps or Quiet()
    archive = _archive_path(destination)
    created_at = timezone.now()
    # Beside the archive, not in /tmp: the dump may be large, and it is data.
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".safespaces-backup-") as work:
        steps.start("Copying the database", None)
        dump = database_dump(into=Path(work))
        files = _files_to_copy()
        dump_size = dump.path.stat().st_size
        steps.start("Writing the archive", dump_size + sum(size for _a, _n, size in files))
        partial = archive.with_name(f".{archive.name}.partial")
        members: dict[str, dict[str, Any]] = {}
        vanished = 0
        try:
            # 0600 from its creation: there is no moment at which another user could open it.
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as error:
            raise BackupError(
                f"{partial} exists: another backup is being written to the same name, or one was "
                "killed while writing it (then remove it)."
            ) from error
        try:
            with os.fdopen(descriptor, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                    with dump.path.open("rb") as stream:
                        members[dump.member] = _add(tar, dump.member, stream, dump_size, steps)
                    for alias, name, size in files:
                        member = f"{FILE_STORAGES[alias]}/{name}"
                        try:
                            with storages[alias].open(name, "rb") as stream:
                                members[member] = _add(tar, member, stream, size, steps)
                        except FileNotFoundError:
                            vanished += 1
                    manifest = {
                        "format": FORMAT,
                        "version": FORMAT_VERSION,
                        "created_at": created_at.isoformat(timespec="seconds"),
                        "database": {
                            "vendor": dump.vendor,
                            "member": dump.member,
                            "made_with": dump.made_with,
                        },
                        "tables": dump.tables,
                        "files": {
                            folder: sum(1 for m in members if m.startswith(f"{folder}/"))
                            for folder in FILE_STORAGES.values()
                        },
                        "members": members,
                    }
                    content = json.dumps(manifest, indent=2, sort_keys=True).encode()
                    _add_bytes(tar, MANIFEST, content)
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, archive)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupResult(
        archive=archive,
        size=archive.stat().st_size,
        tables=len(dump.tables),
        rows=sum(dump.tables.values()),
        files=len(members) - 1,
        vanished=vanished,
    )


def _archive_path(destination: Path) -> Path:
    if destination.is_dir():
        path = destination / archive_name(timezone.now())
    elif destination.name.endswith(".tar.gz") and destination.parent.is_dir():
        path = destination
    else:
        raise BackupError(
            f"{destination} is not a folder. Create it first (mkdir -m 700 {destination}), or "
            "give the archive's name, ending in .tar.gz, in a folder that exists."
        )
    if path.exists():
        raise BackupError(f"{path} already exists: a backup never overwrites another.")
    return path


def _storage_files(storage: Storage, folder: str = "") -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _storage_files(storage, f"{folder}/{sub}" if folder else sub)


def _configured_storages() -> dict[str, Storage]:
    return {alias: storages[alias] for alias in FILE_STORAGES if alias in settings.STORAGES}


def _files_to_copy() -> list[tuple[str, str, int]]:
    return [
        (alias, name, storage.size(name))
        for alias, storage in _configured_storages().items()
        for name in _storage_files(storage)
    ]


class _Hashing:
    """A stream read through once, hashing what passes and reporting progress."""

    def __init__(self, stream: IO[bytes], steps: Steps) -> None:
        self.stream, self.steps = stream, steps
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.sha256.update(data)
        self.size += len(data)
        self.steps.advance(len(data))
        return data


def _add(
    tar: tarfile.TarFile, name: str, stream: IO[bytes], size: int, steps: Steps
) -> dict[str, Any]:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    reader = _Hashing(stream, steps)
    # tarfile copies exactly `size` bytes, or raises if the stream ends before.
    tar.addfile(info, reader)
    return {"sha256": reader.sha256.hexdigest(), "bytes": reader.size}


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(content), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(content))


# --- Restore -----------------------------------------------------------------------------------


def backup_restore(*, archive: Path, steps: Steps | None = None) -> RestoreResult:
    """Restore an archive into the empty database and the empty attachments storage the app is
    configured for. Every member is checked against the manifest first, then that the database
    and the storage are empty; the restored row counts are checked against the manifest's last."""
    steps = steps or Quiet()
    size = archive.stat().st_size
    steps.start("Checking the archive", size)
    manifest = _checked_manifest(archive, steps)
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup is of a {vendor} database and the app is configured for "
            f"{connection.vendor}: restore it into a {vendor} database (DATABASE_URL). "
            "Nothing was restored."
        )
    folders = {folder: alias for alias, folder in FILE_STORAGES.items()}
    configured = _configured_storages()
    for folder, count in manifest["files"].items():
        if count and folders.get(folder) not in configured:
            raise BackupError(
                f"The backup holds {count} {folder} files and no {folder} storage is "
                "configured (STORAGES). Nothing was restored."
            )
    _refuse_unless_empty(configured)
    files = 0
    steps.start("Restoring", size)
    try:
        with tempfile.TemporaryDirectory(prefix="safespaces-restore-") as work, _readable():
            for name, stream in _members(archive, steps):
                if name == MANIFEST:
                    continue
                expected = manifest["members"][name]
                if name == manifest["database"]["member"]:
                    dump = Path(work) / "database"
                    with dump.open("wb") as out:
                        _copy_checked(stream, out, name, expected)
                    database_restore(dump, vendor=vendor)
                    continue
                folder, stored = name.split("/", 1)
                storage = configured[folders[folder]]
                # Whole in memory (an attachment is at most the upload cap), checked, then stored.
                content = io.BytesIO()
                _copy_checked(stream, content, name, expected)
                saved = storage.save(stored, ContentFile(content.getvalue()))
                if saved != stored:
                    raise BackupError(f"{name} was stored as {saved}: the storage was not empty.")
                files += 1
    except BackupError as error:
        # Checked above, so rare (a full disk, the archive changed meanwhile): say what is left.
        raise BackupError(
            f"{error} The restore stopped part way: drop and create the database again, and "
            "empty the attachments folder or bucket, before the next try."
        ) from error
    counts = database_counts()
    expected_counts = manifest["tables"]
    differ = sorted(
        table
        for table in set(counts) | set(expected_counts)
        if counts.get(table) != expected_counts.get(table)
    )
    if differ:
        raise BackupError(
            f"The restored database differs from the manifest in {len(differ)} tables: "
            f"{', '.join(differ[:10])}."
        )
    return RestoreResult(
        created_at=manifest["created_at"],
        vendor=vendor,
        tables=len(counts),
        rows=sum(counts.values()),
        files=files,
    )


def _refuse_unless_empty(configured: dict[str, Storage]) -> None:
    for alias, storage in configured.items():
        if next(_storage_files(storage), None) is not None:
            # A folder by its path, a bucket by its name.
            where = getattr(storage, "bucket_name", None) or getattr(storage, "location", alias)
            raise BackupError(
                f"The {alias} storage ({where}) already holds files. Restore into an empty one: "
                "move those files aside (they may be evidence added after the backup) or set "
                "ATTACHMENTS_DIR to an empty folder (ATTACHMENTS_S3_BUCKET to an empty bucket). "
                "Nothing was changed."
            )
    tables = database_tables()
    if tables:
        raise BackupError(
            f"The database already has {len(tables)} tables ({', '.join(sorted(tables)[:3])}, "
            "...). A backup is restored only into an empty database, so that nothing in it is "
            "overwritten or mixed with the backup: create a new, empty database and point "
            "DATABASE_URL at it. Nothing was changed."
        )


@contextmanager
def _readable() -> Iterator[None]:
    """Turns what a damaged archive raises, while listing or reading members, into one message."""
    try:
        yield
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(
            f"The archive cannot be read ({error}): it is damaged or cut short."
        ) from error


def _members(archive: Path, steps: Steps) -> Iterator[tuple[str, IO[bytes]]]:
    """Each member of the archive, in order, with its content; refuses anything a backup does not
    write. Reports progress in bytes of the archive read."""
    seen: set[str] = set()
    read = 0
    with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as tar:
        for info in tar:
            name = info.name
            parts = name.split("/")
            if not (info.isfile() and MEMBER_NAME.match(name)) or {".", ".."} & set(parts):
                raise BackupError(
                    f"The archive holds {name!r}, which no backup writes: it is not a "
                    "SafeSpaces backup, or it was altered."
                )
            if name in seen:
                raise BackupError(f"The archive holds {name} twice.")
            seen.add(name)
            stream = tar.extractfile(info)
            assert stream is not None  # a regular file always has content
            yield name, stream
            steps.advance(raw.tell() - read)
            read = raw.tell()


def _digest(stream: IO[bytes]) -> dict[str, Any]:
    sha256, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        sha256.update(chunk)
        size += len(chunk)
    return {"sha256": sha256.hexdigest(), "bytes": size}


def _copy_checked(stream: IO[bytes], out: IO[bytes], name: str, expected: dict[str, Any]) -> None:
    """Copy a member, and refuse it if it is not what was checked a moment ago."""
    sha256, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        sha256.update(chunk)
        size += len(chunk)
        out.write(chunk)
    if {"sha256": sha256.hexdigest(), "bytes": size} != expected:
        raise BackupError(f"{name} changed while it was being restored.")


def _checked_manifest(archive: Path, steps: Steps) -> dict[str, Any]:
    """The manifest, once every member has been found to match it."""
    found: dict[str, dict[str, Any]] = {}
    content = None
    try:
        with _readable():
            for name, stream in _members(archive, steps):
                if name == MANIFEST:
                    content = stream.read(MANIFEST_LIMIT + 1)
                else:
                    found[name] = _digest(stream)
    except BackupError as error:
        raise BackupError(f"{error} Nothing was restored.") from error
    if content is None or len(content) > MANIFEST_LIMIT:
        raise BackupError(
            f"The archive has no {MANIFEST}: it is not a SafeSpaces backup, or it was cut short. "
            "Nothing was restored."
        )
    manifest = _parsed_manifest(content)
    listed: dict[str, Any] = manifest["members"]
    problems = []
    altered = sorted(name for name in listed.keys() & found.keys() if listed[name] != found[name])
    missing = sorted(listed.keys() - found.keys())
    unlisted = sorted(found.keys() - listed.keys())
    for what, names in (("altered", altered), ("missing", missing), ("not listed", unlisted)):
        if names:
            problems.append(f"{len(names)} {what} ({', '.join(names[:5])})")
    if problems:
        raise BackupError(
            f"The archive does not match its manifest: {'; '.join(problems)}. Nothing was restored."
        )
    return manifest


def _parsed_manifest(content: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(content)
        if manifest["format"] != FORMAT:
            raise ValueError("not a SafeSpaces backup")
        if manifest["version"] != FORMAT_VERSION:
            raise ValueError(f"format version {manifest['version']}, this release reads 1")
        database, members = manifest["database"], manifest["members"]
        if database["vendor"] not in VENDORS or database["member"] != VENDORS[database["vendor"]]:
            raise ValueError("an unknown database")
        folders = {f"{folder}/" for folder in FILE_STORAGES.values()}
        for name in members:
            if name != database["member"] and not any(name.startswith(f) for f in folders):
                raise ValueError(f"an unknown member {name}")
        if database["member"] not in members:
            raise ValueError("no database")
        if not isinstance(manifest["tables"], dict) or not isinstance(manifest["files"], dict):
            raise ValueError("no counts")
    except (ValueError, KeyError, TypeError) as error:
        raise BackupError(
            f"The manifest cannot be used ({error}). Nothing was restored."
        ) from error
    return manifest
