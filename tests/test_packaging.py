"""The package's metadata in the form today's build tools take without a warning: installing
printed about 30 lines of licence-format warnings on every `make` before."""

import tomllib
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def test_the_licence_is_an_spdx_expression_as_setuptools_77_expects() -> None:
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]
