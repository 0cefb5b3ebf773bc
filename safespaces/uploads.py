"""Uploads kept in memory only, with a size cap that is reported instead of silent.

Django's MemoryFileUploadHandler steps aside when the whole request is larger than
FILE_UPLOAD_MAX_MEMORY_SIZE, and with no other handler the file simply disappears: the form then
tells someone who did choose a file that they chose none. The temporary-file handler would write
the plaintext to disk, which must never happen. This handler keeps every upload in memory, counts
its bytes as they arrive, and refuses a file that goes beyond the cap by skipping it and marking
the request (`request.upload_refused`), so the form can say why.
"""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopFutureHandlers
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext


def post_limit_in_words() -> str:
    """DATA_UPLOAD_MAX_MEMORY_SIZE, the most text one request may carry, as people read it:
    "20 MB". Beyond it Django refuses the whole request (safespaces.views.error_400)."""
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if size % (1024 * 1024) == 0:
        return gettext("%(size)d MB") % {"size": size // (1024 * 1024)}
    return str(filesizeformat(size))


def upload_refused(request: HttpRequest) -> bool:
    """Whether a file of this request was refused for its size."""
    return getattr(request, "upload_refused", False)


class CappedMemoryUploadHandler(FileUploadHandler):
    """Holds uploads in memory, at most FILE_UPLOAD_MAX_MEMORY_SIZE bytes per request.

    The cap counts every file of the request together, so one file may use all of it and a
    request with many files cannot multiply the memory it takes.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.cap: int = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        self.held = 0
        self.file = BytesIO()

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file = BytesIO()
        # No handler after this one may take the file: none of them should see plaintext.
        raise StopFutureHandlers

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.held + len(raw_data) > self.cap:
            self._refuse()
        self.file.write(raw_data)
        self.held += len(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.file.seek(0)
        return InMemoryUploadedFile(
            file=self.file,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def _refuse(self) -> None:
        # Give back what the refused file held, so a later, smaller file still fits.
        self.held -= self.file.tell()
        self.file.close()
        if self.request is not None:
            self.request.upload_refused = True  # type: ignore[attr-defined]
        raise SkipFile
