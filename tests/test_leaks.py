"""The leak test: no value of an encrypted field reaches the database in clear, in any table.

Every model with encrypted fields gets a saved row whose encrypted fields hold unique canary
strings, saved through the ORM the way the app saves. Then every cell of every table is read back
raw and searched for the canaries, so a copy in a history table, an audit row, a session, a cache
table or a denormalised column fails the test as surely as the column itself would.

Why plain SELECTs on the test's own connection rather than `pg_dump` or opening the SQLite file:
each test runs inside a transaction that is rolled back at the end, and another process cannot see
uncommitted rows (the SQLite test database is also in memory). A SELECT on this connection sees
exactly what the ORM wrote, on both SQLite and Postgres.

A new model with encrypted fields needs an entry in FACTORIES; the first test says so.

Attachments are files, not cells: the last test uploads one through the app and searches the
attachment storage as well as the database.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.test import Client
from pytest_django.fixtures import Settings

from incidents.attachments import file_read
from incidents.models import Attachment, EntryKind, TimelineEntry
from safespaces.accounts.models import User
from safespaces.crypto.fields import EncryptedJSONField, encrypted_fields
from safespaces.notifications.models import Address
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AlternativeFactory,
    AttachmentFactory,
    CapacityFactory,
    CheckInEntryFactory,
    CheckInFactory,
    DraftFactory,
    EditBaseFactory,
    EngagementFactory,
    ErasureRequestFactory,
    IdentityGrantFactory,
    IncidentFactory,
    MeasureFactory,
    PersonFactory,
    PlaceFactory,
    ReviewFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    ThreatAssessmentFactory,
    TimelineEntryFactory,
    UserFactory,
    VulnerabilityFactory,
)
from tests.incidents import samples

# Model label -> a callable that returns a saved instance with every required relation in place.
FACTORIES: dict[str, Callable[[], models.Model]] = {
    "accounts.User": UserFactory,
    "people.Person": PersonFactory,
    "people.IdentityGrant": IdentityGrantFactory,
    "people.ErasureRequest": ErasureRequestFactory,
    "places.Place": PlaceFactory,
    "allies.Actor": ActorFactory,
    "allies.Engagement": EngagementFactory,
    "incidents.Incident": IncidentFactory,
    "incidents.TimelineEntry": TimelineEntryFactory,
    "incidents.Attachment": AttachmentFactory,
    "incidents.ThreatAssessment": ThreatAssessmentFactory,
    "incidents.Review": ReviewFactory,
    "drafts.Draft": DraftFactory,
    "drafts.EditBase": EditBaseFactory,
    "notifications.Address": lambda: Address.objects.create(user=UserFactory()),
    "riskassessment.RiskSituation": RiskSituationFactory,
    "riskassessment.Assessment": RiskAssessmentFactory,
    "riskassessment.Threat": RiskThreatFactory,
    "riskassessment.Vulnerability": VulnerabilityFactory,
    "riskassessment.Capacity": CapacityFactory,
    "riskassessment.Alternative": AlternativeFactory,
    "riskassessment.Measure": MeasureFactory,
    "checkins.CheckIn": CheckInFactory,
    "checkins.CheckInEntry": CheckInEntryFactory,
}


@dataclass(frozen=True)
class Canary:
    model: type[models.Model]
    pk: Any
    field: str
    text: str
    stored: Any  # what the field was given: the text, or a JSON object holding it


def models_with_encrypted_fields() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if encrypted_fields(model)]


def plant_canaries() -> list[Canary]:
    """Save one instance per model with a unique canary in each encrypted field."""
    canaries = []
    for model in models_with_encrypted_fields():
        instance = FACTORIES[model._meta.label]()
        for field in encrypted_fields(model):
            text = f"canary{uuid.uuid4().hex}"
            stored = {"canary": text} if isinstance(field, EncryptedJSONField) else text
            setattr(instance, field.attname, stored)
            canaries.append(Canary(model, instance.pk, field.name, text, stored))
        instance.save()
    return canaries


def as_text(cell: object) -> str:
    if isinstance(cell, memoryview):
        cell = bytes(cell)
    if isinstance(cell, bytes):
        return cell.decode("utf-8", errors="replace")
    return str(cell)


def raw_cells() -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every cell of every table, read without the ORM."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - introspected name
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, cell in zip(columns, row, strict=True):
                    if cell is not None:
                        yield table, column, as_text(cell)


def leaks(canaries: list[Canary]) -> list[str]:
    return [
        f"{canary.model._meta.label}.{canary.field} found in clear in {table}.{column}"
        for table, column, text in raw_cells()
        for canary in canaries
        if canary.text in text
    ]


def test_every_model_with_encrypted_fields_has_a_leak_test_factory() -> None:
    labels = {model._meta.label for model in models_with_encrypted_fields()}

    missing = sorted(labels - set(FACTORIES))
    assert not missing, (
        f"{', '.join(missing)} has encrypted fields but no entry in FACTORIES in "
        "tests/test_leaks.py. Add a callable that returns a saved instance, so the leak test "
        "checks that its encrypted values never reach the database in clear."
    )
    stale = sorted(set(FACTORIES) - labels)
    assert not stale, f"Remove {', '.join(stale)} from FACTORIES: it has no encrypted fields."


def test_no_table_holds_the_plaintext_of_an_encrypted_field(db: None) -> None:
    canaries = plant_canaries()
    # The row exists and the ORM reads every canary back, so the scan below looks at real data.
    for canary in canaries:
        reloaded = canary.model._base_manager.get(pk=canary.pk)
        assert getattr(reloaded, canary.field) == canary.stored

    found = leaks(canaries)

    assert not found, "\n".join(found)
    tables = len(connection.introspection.table_names())
    fields = sum(len(encrypted_fields(model)) for model in models_with_encrypted_fields())
    print(f"Leak test: {fields} encrypted fields, {len(canaries)} canaries, {tables} tables clean.")
    assert fields >= 1
    assert len(canaries) == fields


def test_the_scan_finds_a_canary_stored_in_clear(db: None) -> None:
    # Proves the scan can fail: the same canary in a plain column must be reported.
    user = UserFactory()
    text = f"canary{uuid.uuid4().hex}"
    user.username = text
    user.save()
    canary = Canary(type(user), user.pk, "username", text, text)

    assert leaks([canary]) == ["accounts.User.username found in clear in accounts_user.username"]


@pytest.fixture
def attachments_dir(settings: Settings, tmp_path: Path) -> Path:
    """Attachments in a temporary folder (as in tests/incidents/conftest.py), and Django's upload
    temporary files, should any be made, in another one that must stay empty."""
    location = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "upload-temp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return location


def stored_leaks(folder: Path, canaries: list[Canary]) -> list[str]:
    """Canaries in the name or the bytes of any file under `folder`."""
    return [
        f"{canary.model._meta.label}.{canary.field} found in clear in {path}"
        for path in folder.rglob("*")
        if path.is_file()
        for canary in canaries
        if canary.text in path.name or canary.text.encode() in path.read_bytes()
    ]


def test_an_uploaded_file_leaves_neither_its_content_nor_its_name_in_clear(
    client: Client, staff: User, attachments_dir: Path, settings: Settings
) -> None:
    content, name, note = (f"canary{uuid.uuid4().hex}" for _ in range(3))
    incident = IncidentFactory()

    response = sign_in(client, staff).post(
        f"/incidents/{incident.pk}/attachments/new/",
        {
            "file": SimpleUploadedFile(
                "upload.pdf", samples.pdf(content.encode()), "application/pdf"
            ),
            "name": f"{name}.pdf",
            "note": note,
        },
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    entry = TimelineEntry.objects.get(kind=EntryKind.EVIDENCE)
    # The app reads every canary back, so the scans below look for something that is there.
    assert content.encode() in file_read(attachment)
    assert (attachment.file_name, entry.body) == (f"{name}.pdf", note)
    canaries = [
        Canary(Attachment, attachment.pk, "file", content, content),
        Canary(Attachment, attachment.pk, "file_name", name, name),
        Canary(TimelineEntry, entry.pk, "body", note, note),
    ]
    assert [path.name for path in attachments_dir.iterdir()] == [attachment.stored_as]
    found = leaks(canaries) + stored_leaks(attachments_dir, canaries)
    assert not found, "\n".join(found)
    assert not any(settings.FILE_UPLOAD_TEMP_DIR.iterdir()), "an upload went to a temporary file"


def test_the_file_scan_finds_a_canary_stored_in_clear(tmp_path: Path) -> None:
    # Proves the file scan can fail, in a file's bytes as in its name.
    text = f"canary{uuid.uuid4().hex}"
    (tmp_path / "sealed").write_bytes(b"..." + text.encode())
    (tmp_path / f"{text}.pdf").write_bytes(b"...")
    canary = Canary(Attachment, uuid.uuid4(), "file", text, text)

    assert set(stored_leaks(tmp_path, [canary])) == {
        f"incidents.Attachment.file found in clear in {tmp_path / 'sealed'}",
        f"incidents.Attachment.file found in clear in {tmp_path / text}.pdf",
    }
