"""Whole-database operations on encrypted fields: rotation and verification, and the check of
files sealed by the apps (their keys live in encrypted fields, the files outside the database)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from safespaces.crypto.cipher import DecryptionError, key_id_of, key_ring
from safespaces.crypto.fields import EncryptedMixin, Sealed, encrypted_fields

BATCH_SIZE = 500
Progress = Callable[[int], None]


@dataclass
class RotationResult:
    rows_checked: int = 0
    rows_rewritten: int = 0
    values_rewritten: int = 0


@dataclass
class VerificationResult:
    values_checked: int = 0
    failures: list[str] = field(default_factory=list)
    files_checked: int = 0
    file_failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SealedFiles:
    """Files an app seals with keys kept in its encrypted fields and stores outside the database.

    The platform knows no app's files: each app registers its own (`sealed_files_register`).
    `check` opens and authenticates every file and yields, for each, its record's public code and
    what is wrong with it, or None when it opens. Never a file name: those are encrypted data.
    """

    label: str
    count: Callable[[], int]
    check: Callable[[], Iterator[tuple[str, str | None]]]


_sealed_files: dict[str, SealedFiles] = {}


def sealed_files_register(files: SealedFiles) -> None:
    _sealed_files[files.label] = files


def sealed_files() -> list[SealedFiles]:
    return list(_sealed_files.values())


def encrypted_models() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if encrypted_fields(model)]


def count_encrypted_rows() -> int:
    return sum(model._base_manager.count() for model in encrypted_models())


def count_sealed_files() -> int:
    return sum(files.count() for files in sealed_files())


def _batches(model: type[models.Model]) -> Iterator[list[models.Model]]:
    """Every row in primary-key order, BATCH_SIZE at a time, reading only the encrypted
    columns."""
    names = [f.attname for f in encrypted_fields(model)]
    last_pk = None
    while True:
        batch = model._base_manager.only(*names).order_by("pk")
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        rows = list(batch[:BATCH_SIZE])
        if not rows:
            return
        yield rows
        last_pk = rows[-1].pk


def _rows(model: type[models.Model]) -> Iterator[models.Model]:
    for batch in _batches(model):
        yield from batch


def _stale_fields(
    row: models.Model, fields: list[EncryptedMixin], primary: str
) -> list[EncryptedMixin]:
    """Fields whose stored value is sealed under another key than the primary one."""
    return [
        f
        for f in fields
        if isinstance(row.__dict__.get(f.attname), Sealed)
        and key_id_of(row.__dict__[f.attname].token) != primary
    ]


def keys_rotate(*, progress: Progress = lambda n: None) -> RotationResult:
    """Re-seal every value that is not under the primary key.

    Rows already under the primary key are skipped without decrypting, so an interrupted run
    resumes where it stopped. The stale rows of a batch are read again under a row lock in one
    transaction before they are rewritten, so an edit saved meanwhile is re-sealed, never
    overwritten; one transaction per batch, not per row, because the commit was most of the cost.
    """
    primary = key_ring().primary_id
    result = RotationResult()
    for model in encrypted_models():
        fields = encrypted_fields(model)
        for batch in _batches(model):
            stale = [row.pk for row in batch if _stale_fields(row, fields, primary)]
            if stale:
                rows, values = _reseal(model, stale, fields, primary)
                result.rows_rewritten += rows
                result.values_rewritten += values
            result.rows_checked += len(batch)
            progress(len(batch))
    return result


@transaction.atomic
def _reseal(
    model: type[models.Model], pks: list[object], fields: list[EncryptedMixin], primary: str
) -> tuple[int, int]:
    """Re-seal the stale values of the rows `pks`; return how many rows and values changed."""
    names = [f.attname for f in fields]
    # Locked in primary-key order, the order every run takes them in, so two runs cannot deadlock.
    locked = model._base_manager.select_for_update().only(*names).filter(pk__in=pks)
    rows = values = 0
    for row in locked.order_by("pk"):
        stale = _stale_fields(row, fields, primary)
        if not stale:
            continue  # re-sealed meanwhile by an edit or another run
        sealed = {f.attname: f.seal_value(row, getattr(row, f.attname)) for f in stale}
        model._base_manager.filter(pk=row.pk).update(**sealed)
        rows += 1
        values += len(stale)
    return rows, values


def encryption_verify(*, progress: Progress = lambda n: None) -> VerificationResult:
    """Open every stored value, then every sealed file; list the ones that fail by model, row and
    field, or by record for a file (no values, no file names)."""
    result = VerificationResult()
    for model in encrypted_models():
        fields = encrypted_fields(model)
        for row in _rows(model):
            for f in fields:
                if not isinstance(row.__dict__.get(f.attname), Sealed):
                    continue
                result.values_checked += 1
                try:
                    getattr(row, f.attname)
                except DecryptionError as error:
                    result.failures.append(f"{model._meta.label} {row.pk} {f.name}: {error}")
            progress(1)
    # A value that opens says nothing of the file it unlocks: a restore without the attachments
    # folder passed the check above while every download failed.
    for files in sealed_files():
        for code, problem in files.check():
            result.files_checked += 1
            if problem is not None:
                result.file_failures.append(f"{files.label} {code}: {problem}")
            progress(1)
    return result
