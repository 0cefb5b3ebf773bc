import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from incidents import services
from incidents.attachments import check_upload, file_read
from incidents.models import Attachment, EntryKind, Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import IncidentFactory
from tests.incidents import samples

WRONG_TYPE = b"We accept photos (JPEG, PNG, WebP), PDF documents and audio recordings."
TOO_LARGE = b"This file is larger than 20 MB."


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/attachments/new/"


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


def stored_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def nothing_was_kept(folder: Path) -> bool:
    return not (
        Attachment.objects.exists()
        or TimelineEntry.objects.filter(kind=EntryKind.EVIDENCE).exists()
        or AuditEvent.objects.filter(object_type="incidents.attachment").exists()
        or stored_files(folder)
    )


def test_a_staff_member_adds_a_photo_and_its_location_is_gone(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory()
    photo = samples.jpeg_with_gps()

    response = sign_in(client, staff).post(
        url(incident),
        {"file": upload("car.jpg", photo), "note": "The car that waited outside."},
    )

    assert response["Location"] == f"/incidents/{incident.pk}/"
    attachment = Attachment.objects.get()
    assert (attachment.incident, attachment.uploaded_by) == (incident, staff)
    assert (attachment.file_name, attachment.content_type) == ("photo-1.jpg", "image/jpeg")
    kept = file_read(attachment)
    assert attachment.size == len(kept)
    image = Image.open(io.BytesIO(kept))
    assert image.size == (40, 20)
    assert not image.getexif()
    assert samples.GPS_CANARY.encode() not in kept
    entry = TimelineEntry.objects.get(kind=EntryKind.EVIDENCE)
    assert (entry.incident, entry.attachment, entry.author) == (incident, attachment, staff)
    assert entry.body == "The car that waited outside."


def test_the_file_is_listed_on_the_incident_and_in_its_timeline(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory()
    sign_in(client, staff)

    response = client.post(
        url(incident), {"file": upload("car.jpg", samples.jpeg_with_gps())}, follow=True
    )

    attachment = Attachment.objects.get()
    link = f'<a href="/incidents/attachments/{attachment.pk}/">photo-1.jpg</a>'
    assert response.content.decode().count(link) == 2
    assert b"Evidence added" in response.content
    assert b"The file was added to the timeline." in response.content


@pytest.mark.parametrize(
    ("name", "build", "content_type", "kept_as"),
    [
        ("screenshot.png", samples.png, "image/png", "photo-1.png"),
        ("statement.pdf", samples.pdf, "application/pdf", "document-1.pdf"),
        ("voice message.wav", samples.wav, "audio/wav", "recording-1.wav"),
        ("recording.m4a", lambda: samples.mp4(b"soun"), "audio/mp4", "recording-1.m4a"),
    ],
)
def test_documents_screenshots_and_recordings_are_added(
    client: Client,
    staff: User,
    attachments_dir: Path,
    name: str,
    build: Callable[[], bytes],
    content_type: str,
    kept_as: str,
) -> None:
    incident = IncidentFactory()

    response = sign_in(client, staff).post(
        url(incident), {"file": upload(name, build(), "application/octet-stream")}
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.file_name, attachment.content_type) == (kept_as, content_type)
    assert len(stored_files(attachments_dir)) == 1
    assert TimelineEntry.objects.get(kind=EntryKind.EVIDENCE).body == ""


def test_the_addition_is_recorded_with_field_names_never_values(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory()

    sign_in(client, staff).post(url(incident), {"file": upload("car.jpg", samples.pdf())})

    attachment = Attachment.objects.get()
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id) == (
        staff,
        "incidents.attachment",
        str(attachment.pk),
    )
    assert event.fields == ["content_type", "file_name", "size"]


def test_a_coordinator_adds_to_a_coordinators_only_incident(
    client: Client, coordinator: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory(visibility="coordinators")

    response = sign_in(client, coordinator).post(
        url(incident), {"file": upload("statement.pdf", samples.pdf())}
    )

    assert response.status_code == 302
    assert Attachment.objects.get().incident == incident


def test_the_form_says_what_is_accepted_the_limit_and_that_locations_are_removed(
    client: Client, staff: User
) -> None:
    response = sign_in(client, staff).get(url(IncidentFactory()))

    assert response.status_code == 200
    assert b'<form method="post" enctype="multipart/form-data" novalidate>' in response.content
    assert b'accept="image/jpeg,image/png,image/webp,application/pdf,audio/mpeg' in (
        response.content
    )
    assert b"Up to 20 MB." in response.content
    assert b"We remove the location" in response.content
    assert b"What it shows (optional)" in response.content


@pytest.mark.parametrize(
    ("name", "data", "claimed"),
    [
        ("car.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
        ("report.pdf", b"PK\x03\x04" + bytes(100), "application/pdf"),
        ("setup.exe", b"MZ" + bytes(100), "application/octet-stream"),
        ("clip.mp4", samples.mp4(b"soun", b"vide", brand=b"isom"), "audio/mp4"),
    ],
)
def test_a_file_of_another_type_is_refused_whatever_its_name_says(
    client: Client, staff: User, attachments_dir: Path, name: str, data: bytes, claimed: str
) -> None:
    response = sign_in(client, staff).post(
        url(IncidentFactory()), {"file": upload(name, data, claimed)}
    )

    assert response.status_code == 200
    assert WRONG_TYPE in response.content
    assert nothing_was_kept(attachments_dir)


def test_a_file_over_20_mb_is_refused_with_a_message(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    # The test client posts real multipart data, so the app's upload handler reads it.
    too_big = samples.pdf() + bytes(20 * 1024 * 1024)

    response = sign_in(client, staff).post(
        url(IncidentFactory()),
        {"file": upload("scan.pdf", too_big, "application/pdf"), "note": "The letter"},
    )

    assert response.status_code == 200
    assert TOO_LARGE in response.content
    assert b"Choose a file to add." not in response.content
    assert b"The letter" in response.content
    assert nothing_was_kept(attachments_dir)


def test_a_file_of_exactly_20_mb_is_taken(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    pdf = samples.pdf()
    just_fits = pdf + bytes(20 * 1024 * 1024 - len(pdf))

    response = sign_in(client, staff).post(
        url(IncidentFactory()), {"file": upload("scan.pdf", just_fits, "application/pdf")}
    )

    assert response.status_code == 302
    assert Attachment.objects.get().size == 20 * 1024 * 1024


def test_an_empty_file_is_refused(client: Client, staff: User, attachments_dir: Path) -> None:
    response = sign_in(client, staff).post(url(IncidentFactory()), {"file": upload("car.jpg", b"")})

    assert response.status_code == 200
    assert b"This file is empty." in response.content
    assert nothing_was_kept(attachments_dir)


def test_no_file_chosen_asks_for_one(client: Client, staff: User, attachments_dir: Path) -> None:
    response = sign_in(client, staff).post(url(IncidentFactory()), {"note": "A photo"})

    assert response.status_code == 200
    assert b"Choose a file to add." in response.content
    assert nothing_was_kept(attachments_dir)


def test_a_heic_photo_is_refused_with_what_to_do_instead(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    response = sign_in(client, staff).post(
        url(IncidentFactory()), {"file": upload("IMG_0001.HEIC", samples.heic(), "image/heic")}
    )

    assert response.status_code == 200
    assert b"We cannot take HEIC photos yet. Save the photo as JPEG" in response.content
    assert nothing_was_kept(attachments_dir)


def test_a_photo_with_too_many_pixels_is_refused_and_the_note_is_kept(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    # 7000 x 7000 pixels in a few bytes: it would take 196 MB once decoded.
    response = sign_in(client, staff).post(
        url(IncidentFactory()),
        {
            "file": upload("huge.png", samples.png_claiming(7000, 7000), "image/png"),
            "note": "The van outside the shelter",
        },
    )

    assert response.status_code == 200
    assert b"we take photos of up to 14 megapixels" in response.content
    assert b"The van outside the shelter" in response.content
    assert nothing_was_kept(attachments_dir)


def test_a_failed_save_leaves_no_file_behind(
    staff: User, attachments_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def audit_fails(**kwargs: object) -> None:
        raise RuntimeError("the audit trail cannot be written")

    monkeypatch.setattr(services, "audit_record", audit_fails)
    checked = check_upload(upload("statement.pdf", samples.pdf()))

    with pytest.raises(RuntimeError):
        services.attachment_add(incident=IncidentFactory(), upload=checked, by=staff)

    assert nothing_was_kept(attachments_dir)


def test_someone_who_may_not_see_the_incident_gets_404(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory(visibility="coordinators")
    sign_in(client, staff)

    assert client.get(url(incident)).status_code == 404
    response = client.post(url(incident), {"file": upload("car.jpg", samples.jpeg_with_gps())})
    assert response.status_code == 404
    assert nothing_was_kept(attachments_dir)


def test_an_unknown_incident_is_not_found(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get(
        "/incidents/00000000-0000-4000-8000-000000000000/attachments/new/"
    )

    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, db: None, attachments_dir: Path
) -> None:
    incident = IncidentFactory()

    assert client.get(url(incident))["Location"] == "/login/"
    response = client.post(url(incident), {"file": upload("car.jpg", samples.jpeg_with_gps())})
    assert response["Location"] == "/login/"
    assert nothing_was_kept(attachments_dir)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client: Client, staff: User, method: str) -> None:
    response = getattr(sign_in(client, staff), method)(url(IncidentFactory()))

    assert response.status_code == 405
