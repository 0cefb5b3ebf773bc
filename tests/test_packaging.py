"""What someone setting up meets first: installing prints no warnings of ours (the licence in the
form today's build tools take; it printed about 30 lines before), and `make help` says how to
serve elsewhere than 127.0.0.1:8000."""

import subprocess
import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_licence_is_an_spdx_expression_as_setuptools_77_expects() -> None:
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]


def test_make_help_says_how_to_serve_on_another_address() -> None:
    printed = subprocess.run(
        ["make", "-s", "help"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "make run" in printed
    assert "HOST=address:port" in printed
