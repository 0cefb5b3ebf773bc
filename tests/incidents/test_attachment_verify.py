"""verify_encryption opens every attachment's file, as a download would, and names the ones that
fail by their code: never by the file's name, which is survivor data."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Attachment
from tests.crypto.support import write_raw
from tests.incidents import samples
from tests.incidents.test_attachment_download import added

pytestmark = pytest.mark.usefixtures("db")


def verify() -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("verify_encryption", stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def verify_failing() -> tuple[str, str, str]:
    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError) as error:
        call_command("verify_encryption", stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue(), str(error.value)


def named_only_by_code(shown: str, attachment: Attachment) -> bool:
    return (
        f"incidents.Attachment {attachment.pk}:" in shown
        and attachment.file_name not in shown
        and attachment.stored_as not in shown
    )


def test_it_opens_every_attachment_and_counts_them(attachments_dir: Path) -> None:
    added(), added(name="second.pdf")

    out, err = verify()

    assert "Files checked: 2. Failures: 0." in out
    assert "Values checked:" in out
    assert err == ""


def test_a_missing_file_fails_the_check_and_names_the_attachment_by_its_code(
    attachments_dir: Path,
) -> None:
    kept, lost = added(name="kept.pdf"), added(name="statement-of-heron.pdf")
    (attachments_dir / lost.stored_as).unlink()

    out, err, error = verify_failing()

    assert error == "1 files could not be opened"
    assert "Files checked: 2. Failures: 1." in out
    assert err == f"incidents.Attachment {lost.pk}: the file is missing\n"
    assert named_only_by_code(out + err + error, lost)
    assert str(kept.pk) not in err


def test_a_file_altered_on_disk_fails_the_check(attachments_dir: Path) -> None:
    attachment = added(name="statement-of-heron.pdf")
    stored = attachments_dir / attachment.stored_as
    sealed = bytearray(stored.read_bytes())
    sealed[-1] ^= 0x01
    stored.write_bytes(bytes(sealed))

    out, err, error = verify_failing()

    assert "Files checked: 1. Failures: 1." in out
    assert "the file does not open: altered, damaged or another attachment's" in err
    assert named_only_by_code(out + err + error, attachment)


def test_another_attachments_file_in_its_place_fails_the_check(attachments_dir: Path) -> None:
    first, second = added(), added(data=samples.pdf(b"Another page"))
    (attachments_dir / second.stored_as).write_bytes(
        (attachments_dir / first.stored_as).read_bytes()
    )

    out, err, _ = verify_failing()

    assert "Files checked: 2. Failures: 1." in out
    assert f"incidents.Attachment {second.pk}: the file does not open" in err
    assert str(first.pk) not in err


def test_an_attachment_whose_key_does_not_open_is_reported_with_the_values(
    attachments_dir: Path,
) -> None:
    attachment = added()
    write_raw(Attachment, "file_key", attachment.pk, "%%%")

    out, err, error = verify_failing()

    assert error == "1 values could not be decrypted; 1 files could not be opened"
    assert f"incidents.Attachment {attachment.pk} file_key:" in err
    assert f"incidents.Attachment {attachment.pk}: its key does not open" in err
