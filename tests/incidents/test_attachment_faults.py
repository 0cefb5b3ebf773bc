"""Uploads under faults: a disk that fills up part way through writing a file leaves no partial
file, keeps nothing and tells the person; what the file holds is the owner's alone from its first
byte, whatever the process's umask."""

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from incidents.attachments import attachment_storage
from incidents.models import Incident
from safespaces import files
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import IncidentFactory
from tests.incidents import samples
from tests.incidents.test_attachment_create import nothing_was_kept, stored_files, upload, url

# The drill's partial file was 53 KB: the disk takes this much, then is full.
ROOM = 53 * 1024


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a shell or a service manager, not the app's own (safespaces.apps)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.fixture
def disk_full_after(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """From then on, writes to files take `room` bytes in all, then fail with ENOSPC, as a full
    disk does. Returns the modes the file had at each write."""

    def fill(room: int) -> list[int]:
        modes: list[int] = []
        left = [room]

        def write(descriptor: int, data: bytes | memoryview) -> int:
            modes.append(stat.S_IMODE(os.fstat(descriptor).st_mode))
            if left[0] == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            taken = min(left[0], len(data))
            left[0] -= taken
            return os.pwrite(descriptor, bytes(data[:taken]), os.lseek(descriptor, 0, os.SEEK_CUR))

        monkeypatch.setattr(files.os, "write", write)
        return modes

    return fill


def evidence(size: int) -> bytes:
    return samples.pdf(b"x" * size)


@pytest.mark.usefixtures("loose_umask")
def test_a_disk_full_part_way_leaves_no_file_and_says_nothing_was_added(
    client: Client,
    staff: User,
    attachments_dir: Path,
    disk_full_after: Callable[[int], list[int]],
) -> None:
    incident: Incident = IncidentFactory()
    modes = disk_full_after(ROOM)

    response = sign_in(client, staff).post(
        url(incident), {"file": upload("statement.pdf", evidence(200_000)), "note": "Page 2"}
    )

    assert response.status_code == 503
    assert "the server may be out of disk space. Nothing was added." in response.content.decode()
    assert b"Page 2" in response.content  # the note is kept for the next try
    assert len(modes) == 2  # 53 KB went in, then the disk was full
    assert set(modes) == {0o600}
    assert nothing_was_kept(attachments_dir)


@pytest.mark.usefixtures("loose_umask")
def test_a_failing_sync_leaves_no_file(
    attachments_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(files.os, "fsync", fsync)

    with pytest.raises(OSError, match="Input/output error"):
        attachment_storage().save("0" * 32, ContentFile(evidence(1000)))

    assert attachments_dir.is_dir()
    assert stored_files(attachments_dir) == []


@pytest.mark.usefixtures("loose_umask")
def test_a_stored_file_and_its_folder_are_the_owners_only_under_a_loose_umask(
    attachments_dir: Path,
) -> None:
    name = attachment_storage().save("0" * 32, ContentFile(evidence(1000)))

    assert stat.S_IMODE((attachments_dir / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(attachments_dir.stat().st_mode) == 0o700
    assert (attachments_dir / name).read_bytes() == evidence(1000)


def test_a_name_already_taken_gets_another_and_the_first_file_stays(attachments_dir: Path) -> None:
    storage = attachment_storage()
    first = storage.save("0" * 32, ContentFile(b"first"))

    second = storage.save("0" * 32, ContentFile(b"second"))

    assert first != second
    assert (attachments_dir / first).read_bytes() == b"first"
    assert (attachments_dir / second).read_bytes() == b"second"
