"""The name an attachment is kept under: what the person typed, or a neutral one. Never the name
the file came with, which on a phone tells when the photo was taken."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from incidents.models import Attachment, Incident
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.crypto.support import raw_value
from tests.factories import IncidentFactory
from tests.incidents import samples

PHONE_NAME = "IMG_20261201_213000.jpg"
# Every part of the phone's name that says something.
GIVEAWAYS = ["IMG_", "IMG", "20261201", "213000"]


def add(client: Client, incident: Incident, name: str, data: bytes, typed: str = "") -> Attachment:
    """Add a file through the form as a browser sends it, and return the attachment it made."""
    before = list(Attachment.objects.values_list("pk", flat=True))
    response = client.post(
        f"/incidents/{incident.pk}/attachments/new/",
        {"file": SimpleUploadedFile(name, data, "image/jpeg"), "name": typed},
    )
    assert response.status_code == 302
    return Attachment.objects.exclude(pk__in=before).get()


def test_a_phone_photo_is_kept_shown_and_downloaded_under_a_neutral_name(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory()
    attachment = add(sign_in(client, staff), incident, PHONE_NAME, samples.jpeg_with_gps())

    page = client.get(f"/incidents/{incident.pk}/")
    download = client.get(f"/incidents/attachments/{attachment.pk}/")

    assert attachment.file_name == "photo-1.jpg"
    assert page.status_code == download.status_code == 200
    shown = page.content.decode()
    assert f'<a href="/incidents/attachments/{attachment.pk}/">photo-1.jpg</a>' in shown
    assert download["Content-Disposition"] == 'attachment; filename="photo-1.jpg"'
    assert download.content.startswith(b"\xff\xd8")
    for part in GIVEAWAYS:
        assert part not in attachment.file_name
        assert part not in shown
        assert part not in download["Content-Disposition"]


def test_files_are_numbered_by_kind_within_their_incident(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident, other = IncidentFactory(), IncidentFactory()
    sign_in(client, staff)

    names = [
        add(client, incident, PHONE_NAME, samples.jpeg_with_gps()).file_name,
        add(client, incident, "Screenshot_20261202-0815.png", samples.png()).file_name,
        add(client, incident, "statement.pdf", samples.pdf()).file_name,
        add(client, other, "IMG_20261203_070000.jpg", samples.jpeg_with_gps()).file_name,
    ]

    assert names == ["photo-1.jpg", "photo-2.png", "document-1.pdf", "photo-1.jpg"]


def test_a_name_the_person_types_is_kept_and_stays_encrypted(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory()
    typed = "Car outside the shelter"

    attachment = add(
        sign_in(client, staff), incident, PHONE_NAME, samples.jpeg_with_gps(), typed=typed
    )
    download = client.get(f"/incidents/attachments/{attachment.pk}/")

    assert attachment.file_name == "Car outside the shelter.jpg"
    assert download.status_code == 200
    assert download["Content-Disposition"] == ('attachment; filename="Car outside the shelter.jpg"')
    assert "20261201" not in attachment.file_name
    stored = raw_value(Attachment, "file_name", attachment.pk)
    assert stored and "shelter" not in str(stored)


def test_a_typed_name_of_nothing_but_dots_and_spaces_is_neutral(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    attachment = add(
        sign_in(client, staff), IncidentFactory(), PHONE_NAME, samples.pdf(), typed=" .. "
    )

    assert attachment.file_name == "document-1.pdf"


def test_a_name_longer_than_allowed_is_explained_and_the_note_kept(
    client: Client, staff: User, attachments_dir: Path
) -> None:
    incident = IncidentFactory()

    response = sign_in(client, staff).post(
        f"/incidents/{incident.pk}/attachments/new/",
        {
            "file": SimpleUploadedFile(PHONE_NAME, samples.jpeg_with_gps(), "image/jpeg"),
            "name": "x" * 201,
            "note": "The car that waited outside.",
        },
    )

    assert response.status_code == 200
    assert b"Ensure this value has at most 200 characters" in response.content
    assert b"The car that waited outside." in response.content
    assert not Attachment.objects.exists()
