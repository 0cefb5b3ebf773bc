"""A file storage on the local disk that never leaves a readable or partial file behind.

Django's FileSystemStorage opens a new file with mode 0666 less the umask and chmods it only once
the content is written; when a write fails (a full disk), the partial file stays, with the
umask's mode, and the chmod never comes. This one creates each file owner-only from its first
byte, whatever the umask, writes and syncs it to the disk, and removes the file if any of that
fails: a save either leaves the whole file or nothing.
"""

import os
from typing import Any

from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.utils._os import safe_makedirs  # type: ignore[attr-defined]  # not in the stubs
from django.utils.deconstruct import deconstructible

OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


@deconstructible(path="safespaces.files.PrivateFileSystemStorage")
class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files are the app user's alone and whole, or not there at all."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("file_permissions_mode", 0o600)
        options.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**options)

    def _save(self, name: str, content: File[Any]) -> str:
        file_mode = self.file_permissions_mode or 0o600
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        safe_makedirs(directory, self.directory_permissions_mode or 0o700, exist_ok=True)
        while True:
            try:
                # O_EXCL: never write into a file that is already there (another save's).
                descriptor = os.open(full_path, OPEN_FLAGS, file_mode)
            except FileExistsError:
                name = self.get_available_name(name)
                full_path = self.path(name)
                continue
            break
        try:
            try:
                # The umask could only have taken bits away; this gives the exact mode, still
                # before the first byte.
                os.fchmod(descriptor, file_mode)
                for chunk in content.chunks():
                    _write_all(descriptor, chunk.encode() if isinstance(chunk, str) else chunk)
                # A full disk or a failing one may only say so when the data reaches it: ask
                # now, so nothing is recorded as stored before it is.
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except BaseException:
            # Whatever was written of it is of no use, and would be found nowhere but on disk.
            try:
                os.unlink(full_path)
            except FileNotFoundError:
                pass
            raise
        _sync_directory(directory)
        return os.path.relpath(full_path, self.location).replace("\\", "/")


def _write_all(descriptor: int, data: bytes) -> None:
    # os.write may write less than it was given; a full disk raises OSError (ENOSPC).
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def _sync_directory(directory: str) -> None:
    """Make the new file's name durable too, so a power cut cannot lose a file whose row was
    committed. Some systems cannot open a folder for this: the file itself is synced anyway."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
