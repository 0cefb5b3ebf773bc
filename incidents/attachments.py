"""Evidence files: what a file is, what it gives away, and how it is kept.

An upload is checked by its content alone (the name and the browser's type are the sender's
word), photos are redrawn from their pixels so nothing but the picture survives (camera, time and
GPS location in EXIF, XMP, comments), and the file is sealed in memory with a key of its own
before it is written anywhere. Storage only ever holds ciphertext under a random name; the key is
kept in the attachment's encrypted `file_key`, so rotating the platform's keys re-seals the key and
never rewrites the file.
"""

import base64
import binascii
import io
import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import filetype
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from PIL import Image, ImageOps

from incidents.models import Attachment
from safespaces.crypto.cipher import DecryptionError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

STORAGE = "attachments"
FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
# Larger photos are refused from their header, before their pixels are decoded: a small file can
# unpack into gigabytes (a decompression bomb), and a worker must stay within a fixed budget of
# 150 MB per photo. Pillow holds 4 bytes per pixel (RGB is padded to 4), and turning a photo upright
# or converting its colours needs a second full image beside the first for a moment: 8 bytes per
# pixel. A progressive JPEG also needs libjpeg's coefficients while it decodes (up to 6 bytes per
# pixel beside the 4 of the image), and WebP is the costliest: libwebp's decoder keeps two canvases
# and hands over a copy, and its encoder's working memory comes on top (about 28 bytes per pixel
# in all). Measured in tests/incidents/test_attachment_memory.py. Phones save 12 megapixels by
# default (4032 x 3024) as JPEG; their 24- to 200-megapixel modes are refused with a message asking
# for a smaller copy. Phones do not save photos as WebP: what comes as WebP comes from the web.
MAX_PIXELS = {"JPEG": 14_000_000, "PNG": 14_000_000, "WEBP": 5_000_000}
MAX_NAME_LENGTH = 255


def limit_mb() -> int:
    """The size cap of uploads (see safespaces.uploads), in the megabytes people are told."""
    return settings.FILE_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)


def _too_large() -> str:
    return gettext("This file is larger than %(size)d MB.") % {"size": limit_mb()}


TOO_LARGE = lazy(_too_large, str)()
WRONG_TYPE = _("We accept photos (JPEG, PNG, WebP), PDF documents and audio recordings.")
EMPTY = _("This file is empty. Choose it again, or choose another one.")
HEIC = _(
    "We cannot take HEIC photos yet. Save the photo as JPEG and add that; on an iPhone, "
    "choosing it from your photos on this page does it for you."
)
ANIMATED = _("Animated images cannot be added. Add a still image or a screenshot instead.")
UNREADABLE = _(
    "We could not read this photo; it may be damaged. Save it again, or add a screenshot of it."
)


def too_many_pixels(image_format: str) -> str:
    return gettext(
        "This photo has too many pixels for us to process: we take photos of up to "
        "%(megapixels)d megapixels. Save a smaller copy (12 megapixels is plenty) and add that."
    ) % {"megapixels": MAX_PIXELS[image_format] // 1_000_000}


class Refused(Exception):
    """The file cannot be kept; `message` tells the person why, in words they can act on."""

    def __init__(self, message: "StrOrPromise") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileType:
    content_type: str
    # The first is added to a name that has none of them, so the download opens in the right app.
    extensions: tuple[str, ...]
    # Pillow's name for the photo formats, which are redrawn without their metadata.
    image_format: str = ""


JPEG = FileType("image/jpeg", (".jpg", ".jpeg"), "JPEG")
PNG = FileType("image/png", (".png",), "PNG")
WEBP = FileType("image/webp", (".webp",), "WEBP")
PDF = FileType("application/pdf", (".pdf",))
MP3 = FileType("audio/mpeg", (".mp3",))
AAC = FileType("audio/aac", (".aac",))
M4A = FileType("audio/mp4", (".m4a", ".mp4"))
OGG = FileType("audio/ogg", (".ogg", ".opus", ".oga"))
WAV = FileType("audio/wav", (".wav",))
WEBM = FileType("audio/webm", (".webm", ".weba"))
ACCEPTED = (JPEG, PNG, WEBP, PDF, MP3, AAC, M4A, OGG, WAV, WEBM)

# What `filetype` recognises -> what we keep it as. MP4 and WebM are how phones and browsers
# record sound, and also hold video: those are kept only when they hold sound alone (below).
BY_SIGNATURE = {
    "image/jpeg": JPEG,
    "image/png": PNG,
    "image/apng": PNG,
    "image/webp": WEBP,
    "application/pdf": PDF,
    "audio/mpeg": MP3,
    "audio/aac": AAC,
    "audio/mp4": M4A,
    "video/mp4": M4A,
    "audio/ogg": OGG,
    "audio/x-wav": WAV,
    "video/webm": WEBM,
}
# For the file picker: phones offer the right apps by type, computers filter by extension.
ACCEPT = ",".join(
    [kind.content_type for kind in ACCEPTED]
    + [extension for kind in ACCEPTED for extension in kind.extensions]
)


@dataclass(frozen=True, repr=False)
class CheckedFile:
    """An upload that passed the checks and, for a photo, has no metadata left. The name it was
    sent with is not kept: a phone's IMG_20261201_213000.jpg tells when the photo was taken, the
    very thing the photo was cleaned of (see `attachment_name`)."""

    kind: FileType
    data: bytes

    @property
    def content_type(self) -> str:
        return self.kind.content_type

    def __repr__(self) -> str:
        # Error reports and debuggers print reprs: never the content.
        return f"<CheckedFile {self.content_type}, {len(self.data)} bytes>"


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Read an upload (held in memory, see safespaces.uploads), check it and clean it."""
    data = upload.read()
    if not data:
        raise Refused(EMPTY)
    kind = sniff(data)
    return CheckedFile(kind=kind, data=strip_metadata(data, kind))


# --- What the file is -------------------------------------------------------------------------


def sniff(data: bytes) -> FileType:
    """The file's type from its content, or Refused: its signature, and for the containers that
    may hold video as well as sound, which tracks it has."""
    found = filetype.guess_mime(data)
    if found == "image/heic":
        raise Refused(HEIC)
    kind = BY_SIGNATURE.get(found or "")
    sound_only = SOUND_ONLY.get(kind) if kind else None
    if kind is None or (sound_only is not None and not sound_only(data)):
        raise Refused(WRONG_TYPE)
    return kind


# An MP4 track's handler box: size, "hdlr", version and flags, pre_defined, then the handler type.
MP4_HANDLER = re.compile(rb"hdlr[\x00-\xff]{8}(soun|vide)")


def _mp4_sound_only(data: bytes) -> bool:
    # Eight fixed bytes a fixed distance apart: a chance match inside the sound is negligible. The
    # movie header, which lists the tracks, may sit at the end of the file: all of it is searched.
    handlers = set(MP4_HANDLER.findall(data))
    return handlers == {b"soun"}


def _ogg_sound_only(data: bytes) -> bool:
    # Each stream of an Ogg file announces its codec in the first pages; Theora is video.
    return b"\x80theora" not in data[:65536]


EBML_SEGMENT, EBML_TRACKS, EBML_TRACK_ENTRY = 0x18538067, 0x1654AE6B, 0xAE
EBML_TRACK_TYPE, EBML_CLUSTER = 0x83, 0x1F43B675
TRACK_AUDIO = 2


def _ebml_number(data: bytes, position: int) -> tuple[int, int, bool]:
    """An EBML variable-length number: (value with its length marker, length in bytes, whether
    all its value bits are set, which for a size means "unknown")."""
    length = 9 - data[position].bit_length()
    if length > 8 or position + length > len(data):
        raise ValueError("not an EBML number")
    raw = int.from_bytes(data[position : position + length], "big")
    marker = 1 << (7 * length)
    return raw, length, raw ^ marker == marker - 1


def _ebml_elements(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """(id, content start, content end) of each element from start to end; an element of unknown
    size (as a live recording writes its segment) runs to the end."""
    position = start
    while position < end:
        element_id, id_length, _ = _ebml_number(data, position)
        size, size_length, unknown = _ebml_number(data, position + id_length)
        content = position + id_length + size_length
        size ^= 1 << (7 * size_length)
        position = end if unknown else min(content + size, end)
        yield element_id, content, position


# The elements to go into, one level each, to reach the track types. Only these: a file that
# nests elements without end cannot make the walk recurse without end.
WEBM_PATH = (EBML_SEGMENT, EBML_TRACKS, EBML_TRACK_ENTRY)


def _webm_track_types(data: bytes, start: int, end: int, depth: int = 0) -> list[int]:
    """The type of every track, read from the segment's track list, which comes before the first
    cluster of sound or pictures."""
    types = []
    for element_id, content, stop in _ebml_elements(data, start, end):
        if element_id == EBML_CLUSTER:
            break
        if depth == len(WEBM_PATH) and element_id == EBML_TRACK_TYPE:
            types.append(int.from_bytes(data[content:stop], "big"))
        elif depth < len(WEBM_PATH) and element_id == WEBM_PATH[depth]:
            types += _webm_track_types(data, content, stop, depth + 1)
    return types


def _webm_sound_only(data: bytes) -> bool:
    # No small, kept library reads WebM tracks without a native media stack; the lines above do.
    try:
        types = _webm_track_types(data, 0, len(data))
    except (ValueError, IndexError):
        return False
    return bool(types) and set(types) == {TRACK_AUDIO}


SOUND_ONLY: dict[FileType, Callable[[bytes], bool]] = {
    M4A: _mp4_sound_only,
    OGG: _ogg_sound_only,
    WEBM: _webm_sound_only,
}


# --- What the file gives away ------------------------------------------------------------------

# Pixel modes each format saves as they are; others are converted to RGB, or RGBA if transparent.
KEPT_MODES = {"JPEG": {"L", "RGB"}, "PNG": {"L", "LA", "RGB", "RGBA"}, "WEBP": {"RGB", "RGBA"}}
SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 95},
    "PNG": {},
    "WEBP": {"quality": 95},
}


def strip_metadata(data: bytes, kind: FileType) -> bytes:
    """A photo redrawn from its pixels alone, turned upright first as its EXIF orientation says:
    EXIF (camera, time, GPS location), XMP, ICC profiles and comments do not survive. Other files
    are returned as they are."""
    if not kind.image_format:
        return data
    try:
        clean = _bare_pixels(data, kind.image_format)
    except Refused:
        raise
    except Image.DecompressionBombError as error:
        # Pillow's own limit, far above ours, can only be met by a header we have not read yet.
        raise Refused(too_many_pixels(kind.image_format)) from error
    except Exception as error:
        # Pillow reports a damaged or hostile file with many kinds of error; each means the same.
        raise Refused(UNREADABLE) from error
    out = io.BytesIO()
    clean.save(out, format=kind.image_format, **SAVE_OPTIONS[kind.image_format])
    return out.getvalue()


def _bare_pixels(data: bytes, image_format: str) -> Image.Image:
    """The photo's pixels, decoded once, upright and in a mode its format saves, in an image that
    carries nothing else. At most two full images exist at any moment (see MAX_PIXELS): each step
    that makes a new one lets go of the one before."""
    if image_format == "WEBP":
        # Pillow's WebP reader allocates its canvas as it opens the file: read the size first.
        _refuse_too_many_pixels(_webp_size(data), image_format)
    with Image.open(io.BytesIO(data), formats=[image_format]) as image:
        # Image.open reads the header only: the size is known before any pixel is decoded.
        _refuse_too_many_pixels(image.size, image_format)
        # Redrawing keeps one frame: an animation would lose the rest without a word.
        if getattr(image, "n_frames", 1) > 1:
            raise Refused(ANIMATED)
        image.load()
        # In place: the turned pixels replace the decoded ones instead of joining them.
        ImageOps.exif_transpose(image, in_place=True)
        plain = _plain(image, image_format)
        # The same pixels, not a copy, in a new image without the original's `info`: Pillow's
        # savers would otherwise write some of it (comments, ICC profile) back.
        bare = plain._new(plain.im)
        bare.info = {}
    return bare


def _refuse_too_many_pixels(size: tuple[int, int], image_format: str) -> None:
    width, height = size
    if width * height > MAX_PIXELS[image_format]:
        raise Refused(too_many_pixels(image_format))


def _webp_size(data: bytes) -> tuple[int, int]:
    """A WebP picture's width and height, from the first chunk after the RIFF header: VP8X (the
    extended format's canvas), VP8L (lossless) or VP8 (lossy key frame)."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = (int.from_bytes(data[n : n + 2], "little") & 0x3FFF for n in (26, 28))
        return width, height
    raise Refused(UNREADABLE)


def _plain(image: Image.Image, image_format: str) -> Image.Image:
    if image.mode in KEPT_MODES[image_format]:
        return image
    transparent = image_format != "JPEG" and image.has_transparency_data
    return image.convert("RGBA" if transparent else "RGB")


# --- What the file is called -------------------------------------------------------------------

# Neutral names say what a file is and which of its kind on the incident, nothing more.
PHOTOS, DOCUMENTS, RECORDINGS = (JPEG, PNG, WEBP), (PDF,), (MP3, AAC, M4A, OGG, WAV, WEBM)
NOUNS: list[tuple[tuple[FileType, ...], "StrOrPromise"]] = [
    (PHOTOS, pgettext_lazy("the start of a file name", "photo")),
    (DOCUMENTS, pgettext_lazy("the start of a file name", "document")),
    (RECORDINGS, pgettext_lazy("the start of a file name", "recording")),
]


def same_kind(kind: FileType) -> list[str]:
    """The content types counted together when numbering `kind`: photos, documents or
    recordings."""
    family = next(family for family, _noun in NOUNS if kind in family)
    return [member.content_type for member in family]


def attachment_name(*, typed: str, kind: FileType, number: int) -> str:
    """The name an attachment is kept, shown and downloaded under: what the person typed, made
    safe, or else a neutral one such as "photo-2.jpg", `number` being its place among the
    incident's files of its kind. The name the file was sent with is never used: phones and
    apps name files by the moment they were made (IMG_20261201_213000.jpg), and sometimes by
    who sent them."""
    if _printable_name(typed):
        return safe_name(typed, kind)
    noun = next(str(noun) for family, noun in NOUNS if kind in family)
    return f"{noun}-{number}{kind.extensions[0]}"


def _printable_name(name: str) -> str:
    """The last part of a name, without control or direction-changing characters or leading
    dots."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(char for char in name if char.isprintable()).strip().lstrip(".")


def safe_name(name: str, kind: FileType) -> str:
    """The name to show and to offer on download: the last part of what was given, without
    control or direction-changing characters, ending in an extension that matches what the file
    is."""
    name = _printable_name(name)
    stem, dot, extension = name.rpartition(".")
    if not (dot and f".{extension.lower()}" in kind.extensions):
        stem, extension = name or "evidence", kind.extensions[0].lstrip(".")
    return f"{stem[: MAX_NAME_LENGTH - len(extension) - 1]}.{extension}"


# --- How it is kept ----------------------------------------------------------------------------


def _associated_data(attachment_id: uuid.UUID) -> bytes:
    # Binds the ciphertext to its row: moved to another attachment, it does not open.
    return b"incidents.Attachment\x1f" + str(attachment_id).encode("ascii")


@sensitive_variables("key", "data")
def seal_file(data: bytes, *, attachment_id: uuid.UUID) -> tuple[str, bytes]:
    """Encrypt with a fresh 256-bit AES-GCM key. Returns the key, base64 for `file_key`, and
    what to store: version (1 byte) | 96-bit random nonce | ciphertext and tag."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, data, _associated_data(attachment_id))
    return base64.b64encode(key).decode("ascii"), bytes([FORMAT_VERSION]) + nonce + sealed


@sensitive_variables("key", "cipher")
def open_file(sealed: bytes, *, key: str, attachment_id: uuid.UUID) -> bytes:
    """The plaintext, or DecryptionError: never the stored bytes as they are."""
    if len(sealed) < 1 + NONCE_BYTES + TAG_BYTES or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed attachment")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        cipher = AESGCM(base64.b64decode(key, validate=True))
        return cipher.decrypt(nonce, body, _associated_data(attachment_id))
    except (InvalidTag, ValueError, binascii.Error) as error:
        raise DecryptionError("attachment does not belong here or was altered") from error


def attachment_storage() -> Storage:
    return storages[STORAGE]


def file_store(sealed: bytes) -> str:
    """Write ciphertext under a random name that says nothing about the incident or the file."""
    return attachment_storage().save(secrets.token_hex(16), ContentFile(sealed))


def file_discard(stored_as: str) -> None:
    attachment_storage().delete(stored_as)


def file_read(attachment: Attachment) -> bytes:
    """The attachment's plaintext, decrypted in memory."""
    with attachment_storage().open(attachment.stored_as, "rb") as stored:
        sealed = stored.read()
    return open_file(sealed, key=attachment.file_key, attachment_id=attachment.pk)


def attachments_check() -> Iterator[tuple[str, str | None]]:
    """Open every attachment's file as its download would, in code order: (code, None) when it
    opens and authenticates, (code, what is wrong) when it does not. For `verify_encryption`."""
    rows = Attachment._base_manager.only("id", "stored_as", "file_key").order_by("pk")
    for attachment in rows.iterator(chunk_size=200):
        yield str(attachment.pk), _problem_opening(attachment)


def _problem_opening(attachment: Attachment) -> str | None:
    try:
        key = attachment.file_key
    except DecryptionError:
        return "its key does not open (see the value failures)"
    try:
        with attachment_storage().open(attachment.stored_as, "rb") as stored:
            sealed = stored.read()
    except FileNotFoundError:
        return "the file is missing"
    except OSError as error:
        # strerror alone: the exception's text would name the path.
        return f"the file cannot be read ({error.strerror})"
    try:
        open_file(sealed, key=key, attachment_id=attachment.pk)
    except DecryptionError:
        return "the file does not open: altered, damaged or another attachment's"
    return None


def download_name(attachment: Attachment) -> str:
    kind = next((k for k in ACCEPTED if k.content_type == attachment.content_type), None)
    return safe_name(attachment.file_name, kind) if kind else "evidence"
