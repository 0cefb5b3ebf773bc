"""How much memory cleaning a photo takes, measured where Pillow allocates it: in C, where
tracemalloc sees nothing. Each photo is cleaned in a fresh process whose peak resident memory
(VmHWM, reset just before) is read from /proc: the worst photo of each format that is still
accepted must stay within the budget of one upload."""

import io
import math
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from incidents.attachments import MAX_PIXELS

BUDGET = 150 * 1000 * 1000
SIDEWAYS = 6  # EXIF orientation: the photo is turned upright, the costliest way to clean it

CHILD = """
import sys
import django

django.setup()
from incidents import attachments

def status(key):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(key))

path, name = sys.argv[1:]
data = open(path, "rb").read()
kind = {"JPEG": attachments.JPEG, "PNG": attachments.PNG, "WEBP": attachments.WEBP}[name]
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # the peak starts again from what the process holds now
before = status("VmRSS:")
attachments.strip_metadata(data, kind)
print(status("VmHWM:") - before)
"""


def largest(image_format: str, mode: str, noise: bool) -> Image.Image:
    """A square photo with as many pixels as the format's cap allows; noise is the content that
    costs encoders the most."""
    side = math.isqrt(MAX_PIXELS[image_format])
    if noise:
        return Image.effect_noise((side, side), 64).convert(mode)
    return Image.new(mode, (side, side), "red")


def peak_memory(data: bytes, image_format: str, tmp_path: Path) -> int:
    path = tmp_path / "photo"
    path.write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), image_format],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize(
    ("image_format", "mode", "noise", "options"),
    [
        # Progressive with full colour detail: libjpeg holds every coefficient while it decodes.
        ("JPEG", "RGB", True, {"quality": 95, "progressive": True, "subsampling": 0}),
        ("PNG", "RGBA", False, {}),
        ("WEBP", "RGBA", True, {"quality": 95}),
    ],
)
def test_the_largest_photo_accepted_is_cleaned_within_the_budget(
    image_format: str, mode: str, noise: bool, options: dict[str, object], tmp_path: Path
) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = SIDEWAYS
    out = io.BytesIO()
    largest(image_format, mode, noise).save(out, image_format, exif=exif, **options)

    peak = peak_memory(out.getvalue(), image_format, tmp_path)

    assert len(out.getvalue()) <= 20 * 1024 * 1024  # an upload the form takes
    assert 0 < peak <= BUDGET, f"{peak / 1e6:.0f} MB"
