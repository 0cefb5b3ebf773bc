from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from incidents import services
from incidents.attachments import check_upload
from incidents.models import Attachment, Incident
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.crypto.cipher import DecryptionError
from tests.conftest import sign_in
from tests.factories import IncidentFactory
from tests.incidents import samples

STATEMENT = samples.pdf(b"She saw him take the photo at the bus stop.")


def url(attachment: Attachment) -> str:
    return f"/incidents/attachments/{attachment.pk}/"


def added(
    incident: Incident | None = None, name: str = "statement.pdf", data: bytes = STATEMENT
) -> Attachment:
    """An attachment added the way the app adds one: checked, sealed and stored."""
    incident = incident or IncidentFactory()
    checked = check_upload(SimpleUploadedFile("upload.pdf", data, "application/pdf"))
    # The name as the person typed it: a file's own name is never kept (test_attachment_names).
    return services.attachment_add(
        incident=incident, upload=checked, by=incident.reporter, name=name
    )


def test_someone_who_may_see_the_incident_downloads_the_file(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    attachment = added()

    response = sign_in(client, staff).get(url(attachment))

    assert response.status_code == 200
    assert response.content == STATEMENT
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="statement.pdf"'


def test_the_file_is_never_cached_sniffed_or_run(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    response = sign_in(client, staff).get(url(added()))

    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in response["Content-Security-Policy"]


def test_every_download_is_recorded(client: Client, staff: User, attachments_dir: Path) -> None:
    attachment = added()
    sign_in(client, staff)

    client.get(url(attachment))
    client.get(url(attachment))

    events = AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD)
    assert events.count() == 2
    assert {(e.actor, e.object_type, e.object_id, tuple(e.fields)) for e in events} == {
        (staff, "incidents.attachment", str(attachment.pk), ())
    }


def test_a_name_with_line_breaks_and_quotes_cannot_add_a_header(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    attachment = added()
    # Written past the upload's own cleaning, as an import or an old row might.
    attachment.file_name = 'x"\r\nSet-Cookie: session=stolen\r\n\r\n.pdf'
    attachment.save()

    response = sign_in(client, staff).get(url(attachment))

    disposition = response["Content-Disposition"]
    assert response.status_code == 200
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition == 'attachment; filename="x\\"Set-Cookie: session=stolen.pdf"'
    assert "session=stolen" not in str(response.cookies)


def test_a_name_in_another_script_is_encoded(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    attachment = added(name="شهادة.pdf")

    response = sign_in(client, staff).get(url(attachment))

    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D8%B4%D9%87%D8%A7%D8%AF%D8%A9.pdf"
    )


def test_the_stored_bytes_hold_neither_the_file_nor_its_name(
    staff: User, attachments_dir: Path
) -> None:
    attachment = added(name="statement-of-rosa.pdf")

    stored = attachments_dir / attachment.stored_as
    sealed = stored.read_bytes()
    assert [path.name for path in attachments_dir.iterdir()] == [attachment.stored_as]
    assert b"She saw him" not in sealed and b"%PDF" not in sealed
    assert b"statement-of-rosa" not in sealed
    assert "statement" not in attachment.stored_as
    assert len(sealed) == 1 + 12 + len(STATEMENT) + 16


def test_a_file_moved_to_another_attachment_does_not_open(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    original, other = added(), added(data=samples.pdf(b"Another page"))
    # Both the ciphertext and its key are moved: only the binding to the row is left to stop it.
    (attachments_dir / other.stored_as).write_bytes(
        (attachments_dir / original.stored_as).read_bytes()
    )
    other.file_key = original.file_key
    other.save()

    with pytest.raises(DecryptionError):
        sign_in(client, staff).get(url(other))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_someone_who_may_not_see_the_incident_gets_404(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    attachment = added(IncidentFactory(visibility="coordinators"))

    response = sign_in(client, staff).get(url(attachment))

    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert STATEMENT not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_a_coordinator_downloads_from_a_coordinators_only_incident(
    client: Client, coordinator: User, attachments_dir: Path
) -> None:
    attachment = added(IncidentFactory(visibility="coordinators"))

    response = sign_in(client, coordinator).get(url(attachment))

    assert response.content == STATEMENT


def test_an_unknown_attachment_is_not_found(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get(
        "/incidents/attachments/00000000-0000-4000-8000-000000000000/"
    )

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, db: None, attachments_dir: Path
) -> None:
    response = client.get(url(added()))

    assert response["Location"] == "/login/"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_refused(
    client: Client, staff: User, attachments_dir: Path, method: str
) -> None:
    response = getattr(sign_in(client, staff), method)(url(added()))

    assert response.status_code == 405
