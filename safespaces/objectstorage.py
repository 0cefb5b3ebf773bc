"""S3-compatible object storage for files that the app seals before it writes them.

django-storages' S3 backend, kept to what such files need. Every object is written once under
its random name and never replaced, with no ACL of its own (the bucket's, which must be private),
and never served by URL: not even a signed one can be made, so the only way to a file is the
app's own view, which checks who asks. Timeouts are short and retries few, as for the database,
so storage that does not answer fails a request in seconds instead of holding a web worker.
Whatever the storage or the network says goes wrong surfaces as OSError, as with a local disk, so
the callers' one `except OSError` covers both (a refused upload says nothing was kept).

Imported only when the attachments storage points at a bucket: boto3 and django-storages are
the optional extra `safespaces[s3]`.
"""

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.core.files.base import File
from django.utils.deconstruct import deconstructible
from storages.backends.s3 import S3Storage

# Seconds: a storage that takes longer to accept a connection is treated as down; a read that
# waits this long for the next bytes as failed. Tried twice in all (the standard mode retries
# network failures, throttling and 5xx answers, after up to a second): at worst 2 x (3 + 8) + 1
# = 23 s, so a request that meets a stalled storage fails with its own page before gunicorn
# kills the worker at 30 s.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 8
ATTEMPTS = 2


class ObjectStorageError(OSError):
    """The object storage refused or did not answer. `strerror` names the storage's error code
    or the kind of network failure, never an object's name or a credential."""


@contextmanager
def _as_os_error() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", "unknown"))
        raise ObjectStorageError(errno.EIO, f"object storage answered {code}") from error
    except BotoCoreError as error:
        raise ObjectStorageError(errno.EIO, f"object storage: {type(error).__name__}") from error


@deconstructible(path="safespaces.objectstorage.PrivateS3Storage")
class PrivateS3Storage(S3Storage):
    """S3Storage for sealed files: written once, private, never served by URL."""

    def __init__(self, **options: Any) -> None:
        style = options.pop("addressing_style", None) or "auto"
        options.setdefault(
            "client_config",
            Config(
                s3={"addressing_style": style},
                signature_version="s3v4",
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"mode": "standard", "max_attempts": ATTEMPTS},
            ),
        )
        # Never an existing name: evidence is not replaced, and a restore finds out whether the
        # bucket was empty (safespaces.backup).
        options["file_overwrite"] = False
        # No ACL sent: the object gets the bucket's, which keeps it private. Never "public-read".
        options["default_acl"] = None
        # A file is read from the storage into memory, as the upload was: it is ciphertext, but
        # nothing of it need touch the app server's disk.
        options["max_memory_size"] = 0
        options["gzip"] = False
        options["custom_domain"] = None
        super().__init__(**options)

    def url(self, name: str | None, *args: Any, **kwargs: Any) -> NoReturn:
        # A signed URL would reach the file without the access check and without the record of
        # who downloaded it.
        raise NotImplementedError("Sealed files are served only by the app's own views.")

    def _save(self, name: str, content: File[Any]) -> str:
        with _as_os_error():
            return str(super()._save(name, content))

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        with _as_os_error():
            opened = super()._open(name, mode)
            if "r" in mode:
                # Downloaded now rather than at the first read, so a failure is one of open's,
                # and an OSError. Every caller reads the whole file anyway.
                opened.file  # noqa: B018
            return opened

    def delete(self, name: str) -> None:
        with _as_os_error():
            super().delete(name)

    def exists(self, name: str) -> bool:
        with _as_os_error():
            return bool(super().exists(name))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        with _as_os_error():
            return super().listdir(path)

    def size(self, name: str) -> int:
        with _as_os_error():
            return int(super().size(name))

    def get_modified_time(self, name: str) -> datetime:
        with _as_os_error():
            return super().get_modified_time(name)
