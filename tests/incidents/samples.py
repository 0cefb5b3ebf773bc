"""Evidence files built in memory for the attachment tests: real photos made with Pillow, a real
WAV made with the standard library, and the first bytes of the other formats, which is all the
checks read. The canary strings in photo metadata must not survive the upload."""

import io
import struct
import wave
import zlib

from PIL import ExifTags, Image, PngImagePlugin

GPS_CANARY = "CanaryCam"
XMP_CANARY = b"canary-xmp-location"
COMMENT_CANARY = b"canary-comment"


def jpeg_with_gps(size: tuple[int, int] = (40, 20), orientation: int = 1) -> bytes:
    """A JPEG as a phone takes it: camera make, GPS position, XMP and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = GPS_CANARY
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(
        out,
        "JPEG",
        exif=exif,
        xmp=b"<x:xmpmeta>" + XMP_CANARY + b"</x:xmpmeta>",
        comment=COMMENT_CANARY,
    )
    return out.getvalue()


def png(mode: str = "RGBA") -> bytes:
    """A screenshot with a text chunk saying where it was taken."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", GPS_CANARY)
    out = io.BytesIO()
    Image.new(mode, (30, 30), (0, 128, 0, 128) if mode == "RGBA" else None).save(
        out, "PNG", pnginfo=info
    )
    return out.getvalue()


def webp() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = GPS_CANARY
    out = io.BytesIO()
    Image.new("RGB", (30, 30), "blue").save(out, "WEBP", exif=exif)
    return out.getvalue()


def animated_png() -> bytes:
    out = io.BytesIO()
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "blue")]
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: a decompression bomb's first bytes."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)


def jpeg_claiming(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header claims a larger picture."""
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    frame = data.index(b"\xff\xc0")  # baseline frame: length, precision, height, width
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """The first bytes of an extended WebP file whose canvas is width x height."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4)
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def pdf(text: bytes = b"Statement") -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% " + text + b"\n%%EOF\n"


def wav() -> bytes:
    """Half a second of silence, as a voice recorder saves it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(bytes(8000))
    return out.getvalue()


def mp3() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(400)


def aac() -> bytes:
    return b"\xff\xf1\x50\x80\x02\x1f\xfc" + bytes(200)


def ogg(codec_header: bytes = b"OpusHead") -> bytes:
    return b"OggS\x00\x02" + bytes(22) + b"\x01\x13" + codec_header + bytes(100)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(*handlers: bytes, brand: bytes = b"M4A ") -> bytes:
    """An MP4 file with one track per handler: b"soun" for sound, b"vide" for pictures."""
    tracks = b"".join(
        _box(
            b"trak",
            _box(b"mdia", _box(b"hdlr", bytes(8) + handler + bytes(12) + b"Handler\x00")),
        )
        for handler in handlers
    )
    ftyp = _box(b"ftyp", brand + bytes(4) + brand + b"isom")
    return ftyp + _box(b"moov", tracks) + _box(b"mdat", bytes(300))


def heic() -> bytes:
    return _box(b"ftyp", b"heic" + bytes(4) + b"mif1heic") + _box(b"meta", bytes(100))


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    return element_id + bytes([0x80 | len(payload)]) + payload


def webm(*track_types: int) -> bytes:
    """A WebM recording as a browser writes it: a segment of unknown size, the track list, then
    a cluster. Track type 2 is sound, 1 is pictures."""
    header = _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"webm"))
    entries = b"".join(
        _ebml(b"\xae", _ebml(b"\xd7", bytes([n + 1])) + _ebml(b"\x83", bytes([kind])))
        for n, kind in enumerate(track_types)
    )
    unknown_size = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    cluster = b"\x1f\x43\xb6\x75" + unknown_size + bytes(200)
    segment = b"\x18\x53\x80\x67" + unknown_size + _ebml(b"\x16\x54\xae\x6b", entries) + cluster
    return header + segment
