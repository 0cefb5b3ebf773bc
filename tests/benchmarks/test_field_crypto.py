"""The field crypto benchmark runs and times reads that open the values."""

import sys

import pytest

from benchmarks import field_crypto
from safespaces.crypto.fields import Sealed


def test_it_prints_each_measure_as_a_share_of_raw_aes_gcm(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["field_crypto.py", "--values", "50", "--rounds", "1"])
    field_crypto.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "50 values of 71 bytes, best of 1 rounds"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "open",
        "seal",
        "open, through an inlined descriptor",
    ]
    assert all(line.endswith("%") for line in lines[1:])


def test_a_read_that_opens_nothing_stops_the_run() -> None:
    with pytest.raises(SystemExit, match="did not open the values: the last holds Sealed"):
        field_crypto.opened(0.001, Sealed(b"\x02"))
