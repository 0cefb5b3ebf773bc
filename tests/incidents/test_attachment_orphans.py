"""Stored files that no attachment refers to (left by uploads that failed after the file was
written, or by attachments deleted with their rows) are removed by `clean_attachments` and by a
daily task, and the removal is reported. Young files, files an attachment refers to and files not
named like attachments stay."""

import os
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from incidents.tasks import attachment_orphans_sweep
from safespaces.worker.recurring import DailyAt, recurring_registered
from tests.factories import AttachmentFactory

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
KEPT, OLD, YOUNG = "a" * 32, "b" * 32, "c" * 32


def place(folder: Path, name: str, *, age: timedelta, size: int = 100) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(b"\x01" * size)
    moment = (NOW - age).timestamp()
    os.utime(path, (moment, moment))
    return path


@pytest.fixture
def folder(attachments_dir: Path, db: None) -> Path:
    """One file of an attachment, an orphan two hours old, one a minute old, and a stranger."""
    AttachmentFactory(stored_as=KEPT)
    place(attachments_dir, KEPT, age=timedelta(days=30))
    place(attachments_dir, OLD, age=timedelta(hours=2), size=53 * 1024)
    place(attachments_dir, YOUNG, age=timedelta(minutes=1))
    place(attachments_dir, "README", age=timedelta(days=30))
    return attachments_dir


def clean(*options: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("clean_attachments", *options, stdout=out)
    return out.getvalue()


def test_it_removes_an_old_file_no_attachment_refers_to_and_says_so(folder: Path) -> None:
    report = clean()

    assert sorted(path.name for path in folder.iterdir()) == ["README", KEPT, YOUNG]
    assert f"Removed {OLD} (53.0\xa0KB)" in report
    assert "Removed 1 files no attachment refers to (53.0\xa0KB); 1 files belong" in report
    assert "Left 1 files younger than 1:00:00" in report
    assert "not named like attachments: README" in report


def test_a_dry_run_lists_what_would_go_and_removes_nothing(folder: Path) -> None:
    report = clean("--dry-run")

    assert f"Would remove {OLD}" in report
    assert sorted(path.name for path in folder.iterdir()) == ["README", KEPT, OLD, YOUNG]


def test_it_refuses_to_remove_most_of_the_files(folder: Path) -> None:
    # As a restore that has put the files back but not yet the rows would look.
    orphans = [place(folder, f"{n:032x}", age=timedelta(days=3)) for n in range(4)]

    with pytest.raises(CommandError, match="5 of 6 stored files have no attachment"):
        clean()

    assert all(path.exists() for path in orphans)
    assert "Removed 5 files" in clean("--force")
    assert not any(path.exists() for path in orphans)


def test_with_no_folder_yet_there_is_nothing_to_do(attachments_dir: Path, db: None) -> None:
    report = clean()

    assert "Removed 0 files no attachment refers to (0\xa0bytes); 0 files belong" in report
    assert not attachments_dir.exists()


def test_the_worker_runs_it_every_night_and_keeps_the_report(folder: Path) -> None:
    entry = recurring_registered()["incidents.tasks.attachment_orphans_sweep"]

    with time_machine.travel(NOW, tick=False):
        result = attachment_orphans_sweep.call()

    assert entry.schedule == DailyAt(time(3, 30))
    assert result == {"removed": [OLD], "bytes_freed": 53 * 1024, "kept": 1}
    assert not (folder / OLD).exists()
