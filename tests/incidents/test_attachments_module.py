import io
import uuid
from collections.abc import Callable

import pytest
from PIL import Image

from incidents.attachments import (
    ACCEPTED,
    ANIMATED,
    HEIC,
    JPEG,
    PDF,
    PNG,
    UNREADABLE,
    WAV,
    WEBP,
    WRONG_TYPE,
    FileType,
    Refused,
    open_file,
    safe_name,
    seal_file,
    sniff,
    strip_metadata,
)
from safespaces.crypto.cipher import DecryptionError
from tests.incidents import samples

# The refusal of a photo over the pixel cap in the words the person reads, written out here
# rather than built by the code under test: the cap is 14 megapixels for JPEG and PNG, 5 for WebP.
TOO_MANY_PIXELS = (
    "This photo has too many pixels for us to process: we take photos of up to {} megapixels. "
    "Save a smaller copy (12 megapixels is plenty) and add that."
)


@pytest.mark.parametrize(
    ("build", "content_type"),
    [
        (samples.jpeg_with_gps, "image/jpeg"),
        (samples.png, "image/png"),
        (samples.webp, "image/webp"),
        (samples.pdf, "application/pdf"),
        (samples.mp3, "audio/mpeg"),
        (samples.aac, "audio/aac"),
        (lambda: samples.mp4(b"soun"), "audio/mp4"),
        (lambda: samples.mp4(b"soun", brand=b"isom"), "audio/mp4"),
        (samples.ogg, "audio/ogg"),
        (samples.wav, "audio/wav"),
        (lambda: samples.webm(2), "audio/webm"),
    ],
)
def test_it_recognises_each_accepted_type_by_its_content(
    build: Callable[[], bytes], content_type: str
) -> None:
    assert sniff(build()).content_type == content_type


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b"PK\x03\x04" + bytes(100),  # a zip, or a Word document
        b"MZ" + bytes(100),  # a Windows program
        b"GIF89a" + bytes(100),
        b"just some text that calls itself a photo",
        b"%!PS-Adobe-3.0",
        bytes(100),
    ],
)
def test_it_refuses_what_is_not_a_photo_a_document_or_a_recording(data: bytes) -> None:
    with pytest.raises(Refused) as refusal:
        sniff(data)

    assert refusal.value.message == WRONG_TYPE


@pytest.mark.parametrize(
    "data",
    [
        samples.mp4(b"soun", b"vide"),
        samples.mp4(b"vide", brand=b"isom"),
        samples.webm(1, 2),
        samples.webm(1),
        samples.webm(),
        samples.ogg(b"\x80theora"),
    ],
)
def test_it_refuses_video_in_the_containers_recordings_share_with_it(data: bytes) -> None:
    with pytest.raises(Refused) as refusal:
        sniff(data)

    assert refusal.value.message == WRONG_TYPE


def test_a_heic_photo_is_refused_with_what_to_do_instead() -> None:
    with pytest.raises(Refused) as refusal:
        sniff(samples.heic())

    assert refusal.value.message == HEIC
    assert "JPEG" in str(HEIC)


def test_a_photo_keeps_its_pixels_and_loses_its_location_and_camera() -> None:
    original = samples.jpeg_with_gps()

    cleaned = strip_metadata(original, JPEG)

    image = Image.open(io.BytesIO(cleaned))
    assert (image.format, image.size) == ("JPEG", (40, 20))
    assert image.getpixel((10, 10))[0] > 240  # still red
    assert not image.getexif()
    assert not image.getexif().get_ifd(0x8825)  # GPS
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info)
    for canary in (samples.GPS_CANARY.encode(), samples.XMP_CANARY, samples.COMMENT_CANARY):
        assert canary in original
        assert canary not in cleaned
    assert b"Exif" not in cleaned


def test_a_photo_is_turned_upright_before_its_orientation_is_dropped() -> None:
    # Orientation 6: the camera was turned, the picture is shown rotated 90 degrees.
    sideways = samples.jpeg_with_gps(size=(40, 20), orientation=6)

    image = Image.open(io.BytesIO(strip_metadata(sideways, JPEG)))

    assert image.size == (20, 40)
    assert not image.getexif()


def test_a_png_keeps_its_transparency_and_loses_its_text() -> None:
    original = samples.png()

    cleaned = strip_metadata(original, PNG)

    image = Image.open(io.BytesIO(cleaned))
    assert (image.format, image.mode) == ("PNG", "RGBA")
    assert image.getpixel((5, 5)) == (0, 128, 0, 128)
    assert samples.GPS_CANARY.encode() in original
    assert samples.GPS_CANARY.encode() not in cleaned
    assert not image.text  # type: ignore[attr-defined]


def test_a_webp_loses_its_exif() -> None:
    cleaned = strip_metadata(samples.webp(), WEBP)

    image = Image.open(io.BytesIO(cleaned))
    assert image.format == "WEBP"
    assert samples.GPS_CANARY.encode() not in cleaned
    assert not image.getexif()


@pytest.mark.parametrize(
    ("data", "kind", "megapixels"),
    [
        # 143 KB that decode into 196 MB.
        (samples.png_claiming(7000, 7000), PNG, 14),
        (samples.png_claiming(4000, 3501), PNG, 14),
        (samples.jpeg_claiming(4000, 3501), JPEG, 14),
        (samples.webp_claiming(2500, 2001), WEBP, 5),
    ],
    ids=["png-bomb", "png", "jpeg", "webp"],
)
def test_a_photo_over_the_pixel_cap_is_refused_with_the_cap_in_words(
    data: bytes, kind: FileType, megapixels: int
) -> None:
    with pytest.raises(Refused) as refusal:
        strip_metadata(data, kind)

    assert refusal.value.message == TOO_MANY_PIXELS.format(megapixels)


def test_a_webp_over_the_cap_is_refused_before_pillow_opens_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # libwebp allocates the whole canvas as the file is opened, before Pillow can check its size.
    opened: list[object] = []
    monkeypatch.setattr(Image, "open", lambda *args, **kwargs: opened.append(args))

    with pytest.raises(Refused) as refusal:
        strip_metadata(samples.webp_claiming(16383, 16383), WEBP)

    assert refusal.value.message == TOO_MANY_PIXELS.format(5)
    assert opened == []


def test_a_webp_without_a_readable_size_is_refused() -> None:
    with pytest.raises(Refused) as refusal:
        strip_metadata(b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(10), WEBP)

    assert refusal.value.message == UNREADABLE


def test_a_photo_at_the_pixel_cap_is_kept() -> None:
    out = io.BytesIO()
    Image.new("L", (4000, 3500), 200).save(out, "PNG")

    image = Image.open(io.BytesIO(strip_metadata(out.getvalue(), PNG)))

    assert (image.format, image.size, image.getpixel((0, 0))) == ("PNG", (4000, 3500), 200)


@pytest.mark.parametrize(("build", "kind"), [(samples.pdf, PDF), (samples.wav, WAV)])
def test_documents_and_recordings_are_kept_as_they_are(
    build: Callable[[], bytes], kind: FileType
) -> None:
    data = build()

    assert strip_metadata(data, kind) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (samples.jpeg_with_gps()[:200], UNREADABLE),
        (b"\xff\xd8\xff" + b"<html>not a photo</html>", UNREADABLE),
        (samples.png_claiming(9000, 9000), TOO_MANY_PIXELS.format(14)),
        (samples.animated_png(), ANIMATED),
    ],
)
def test_a_photo_that_cannot_be_redrawn_safely_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(Refused) as refusal:
        strip_metadata(data, sniff(data))

    assert refusal.value.message == message


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("car.jpg", "car.jpg"),
        ("Car Outside.JPEG", "Car Outside.JPEG"),
        ("C:\\Users\\lin\\Pictures\\car.jpg", "car.jpg"),
        ("../../etc/passwd", "passwd.jpg"),
        ("invoice.html", "invoice.html.jpg"),
        ("photo\u202egpj.exe", "photogpj.exe.jpg"),  # a right-to-left override hides .exe
        ('a"b\r\nSet-Cookie: x=1.jpg', 'a"bSet-Cookie: x=1.jpg'),
        ("", "evidence.jpg"),
        ("...", "evidence.jpg"),
        ("x" * 300 + ".jpg", "x" * 251 + ".jpg"),
    ],
)
def test_the_name_kept_is_a_plain_name_ending_as_the_file_is(sent: str, kept: str) -> None:
    assert safe_name(sent, JPEG) == kept


def test_every_accepted_type_has_an_extension() -> None:
    assert all(kind.extensions and kind.extensions[0].startswith(".") for kind in ACCEPTED)


def test_a_sealed_file_opens_with_its_key_for_its_own_attachment() -> None:
    attachment_id = uuid.uuid4()

    key, sealed = seal_file(b"the statement", attachment_id=attachment_id)

    assert open_file(sealed, key=key, attachment_id=attachment_id) == b"the statement"
    assert b"the statement" not in sealed
    assert len(sealed) == 1 + 12 + len(b"the statement") + 16


def test_each_file_gets_a_fresh_key_and_nonce() -> None:
    attachment_id = uuid.uuid4()

    first = seal_file(b"the statement", attachment_id=attachment_id)
    second = seal_file(b"the statement", attachment_id=attachment_id)

    assert first[0] != second[0]
    assert first[1] != second[1]


def test_a_sealed_file_moved_to_another_attachment_does_not_open() -> None:
    key, sealed = seal_file(b"the statement", attachment_id=uuid.uuid4())

    with pytest.raises(DecryptionError):
        open_file(sealed, key=key, attachment_id=uuid.uuid4())


@pytest.mark.parametrize(
    "damage",
    [
        lambda sealed: sealed[:-1] + bytes([sealed[-1] ^ 1]),
        lambda sealed: sealed[:20],
        lambda sealed: b"\x02" + sealed[1:],
        lambda sealed: b"",
    ],
)
def test_a_damaged_file_does_not_open(damage: Callable[[bytes], bytes]) -> None:
    attachment_id = uuid.uuid4()
    key, sealed = seal_file(b"the statement", attachment_id=attachment_id)

    with pytest.raises(DecryptionError):
        open_file(damage(sealed), key=key, attachment_id=attachment_id)


def test_a_file_does_not_open_with_another_key() -> None:
    attachment_id = uuid.uuid4()
    _, sealed = seal_file(b"the statement", attachment_id=attachment_id)
    other_key, _ = seal_file(b"", attachment_id=attachment_id)

    with pytest.raises(DecryptionError):
        open_file(sealed, key=other_key, attachment_id=attachment_id)
    with pytest.raises(DecryptionError):
        open_file(sealed, key="not base64!", attachment_id=attachment_id)
