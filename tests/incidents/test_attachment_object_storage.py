"""Attachments in S3-compatible object storage (ATTACHMENTS_S3_BUCKET), against a real S3 server
on this machine (moto in server mode, tests.objectstorage): what reaches the bucket is ciphertext
under a random name with no public grant, the download view gives the file back whole, files no
attachment refers to are removed, and storage that does not answer refuses the upload with the
page that says nothing was kept."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from incidents.attachments import (
    NONCE_BYTES,
    TAG_BYTES,
    attachment_storage,
    attachments_check,
)
from incidents.models import Attachment
from incidents.services import STORED_NAME, attachment_orphans_remove
from safespaces.accounts.models import User
from safespaces.objectstorage import ObjectStorageError
from tests.conftest import sign_in
from tests.factories import IncidentFactory
from tests.incidents import samples
from tests.incidents.test_attachment_download import added
from tests.objectstorage import Bucket, ObjectStorageServer, object_storage_server
from tests.servers import free_port

CANARY = b"She saw him take the photo at the bus stop on Calle Ocho."
STATEMENT = samples.pdf(CANARY)


@pytest.fixture(scope="module")
def server() -> Iterator[ObjectStorageServer]:
    with object_storage_server() as running:
        yield running


@pytest.fixture
def bucket(server: ObjectStorageServer, settings: Settings) -> Bucket:
    """A bucket of the test's own, as the attachments storage."""
    bucket = server.new_bucket()
    settings.STORAGES = {**settings.STORAGES, "attachments": bucket.storage()}
    return bucket


def upload(client: Client, data: bytes = STATEMENT) -> tuple[HttpResponse, Attachment | None]:
    incident = IncidentFactory()
    response = client.post(
        f"/incidents/{incident.pk}/attachments/new/",
        {"file": SimpleUploadedFile("statement.pdf", data, "application/pdf")},
    )
    return response, Attachment.objects.filter(incident=incident).first()


def test_the_bucket_holds_only_ciphertext_under_a_random_name_and_the_view_gives_it_back(
    client: Client, staff: User, bucket: Bucket
) -> None:
    response, attachment = upload(sign_in(client, staff))

    assert response.status_code == 302
    assert attachment is not None
    stored = bucket.objects()
    assert list(stored) == [attachment.stored_as]
    assert STORED_NAME.match(attachment.stored_as)
    sealed = stored[attachment.stored_as]
    assert len(sealed) == 1 + NONCE_BYTES + len(STATEMENT) + TAG_BYTES
    assert CANARY not in sealed
    assert b"%PDF" not in sealed
    assert bucket.public_grants(attachment.stored_as) == []
    download = client.get(f"/incidents/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert download.content == STATEMENT


def test_the_storage_makes_no_url_that_would_pass_the_access_check(bucket: Bucket) -> None:
    with pytest.raises(NotImplementedError, match="only by the app's own views"):
        attachment_storage().url("0" * 32)


def test_an_object_is_never_written_over(bucket: Bucket) -> None:
    storage = attachment_storage()

    first = storage.save("0" * 32, SimpleUploadedFile("x", b"\x01sealed"))
    second = storage.save("0" * 32, SimpleUploadedFile("x", b"\x01other"))

    assert first == "0" * 32
    assert second != first
    assert STORED_NAME.match(second)
    assert bucket.objects() == {first: b"\x01sealed", second: b"\x01other"}


def test_files_no_attachment_refers_to_are_removed_from_the_bucket(
    db: None, bucket: Bucket
) -> None:
    kept = added(data=STATEMENT)
    orphan = "f" * 32
    bucket.client().put_object(Bucket=bucket.name, Key=orphan, Body=b"\x01left by a failed upload")

    sweep = attachment_orphans_remove(now=timezone.now() + timedelta(hours=2))

    assert sweep.removed == {orphan: len(b"\x01left by a failed upload")}
    assert sweep.kept == 1
    assert list(bucket.objects()) == [kept.stored_as]


def test_a_missing_object_is_named_by_the_encryption_check(db: None, bucket: Bucket) -> None:
    present, missing = added(data=STATEMENT), added(data=STATEMENT)
    bucket.client().delete_object(Bucket=bucket.name, Key=missing.stored_as)

    found = dict(attachments_check())

    assert found == {str(present.pk): None, str(missing.pk): "the file is missing"}


def test_storage_that_does_not_answer_refuses_the_upload_and_keeps_nothing(
    client: Client, staff: User, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = Bucket(f"http://127.0.0.1:{free_port()}", "safespaces-nowhere")
    settings.STORAGES = {**settings.STORAGES, "attachments": nowhere.storage()}

    response, attachment = upload(sign_in(client, staff))

    assert response.status_code == 503
    assert b"The file could not be stored" in response.content
    assert b"Nothing was added." in response.content
    assert attachment is None
    assert not Attachment.objects.exists()
    assert "An attachment could not be stored: EIO" in caplog.messages
    with pytest.raises(ObjectStorageError, match="EndpointConnectionError"):
        attachment_storage().listdir("")
