"""Whole-database operations on encrypted fields: rotation and verification, and the check of
files sealed by the apps (their keys live in encrypted fields, the files outside the database)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from safespaces.crypto.cipher import DecryptionError, is_binary, key_id_of, key_ring
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
    """Fields whose stored value is sealed under another key than the primary one, or as text
    (the format before values were stored as bytes)."""
    return [
        f
        for f in fields
        if isinstance(row.__dict__.get(f.attname), Sealed)
        and _is_stale(row.__dict__[f.attname].token, primary)
    ]


def _is_stale(token: bytes | str, primary: str) -> bool:
    return not is_binary(token) or key_id_of(token) != primary


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
    """Re-seal the stale values of the rows `pks`; return how many rows and values changed.

    Rows whose same fields are stale are written together, in one statement.
    """
    names = [f.attname for f in fields]
    # Locked in primary-key order, the order every run takes them in, so two runs cannot deadlock.
    locked = model._base_manager.select_for_update().only(*names).filter(pk__in=pks)
    by_stale_fields: dict[tuple[EncryptedMixin, ...], list[models.Model]] = {}
    values = 0
    for row in locked.order_by("pk"):
        stale = _stale_fields(row, fields, primary)
        if not stale:
            continue  # re-sealed meanwhile by an edit or another run
        for f in stale:
            setattr(row, f.attname, f.seal_value(row, getattr(row, f.attname)))
        by_stale_fields.setdefault(tuple(stale), []).append(row)
        values += len(stale)
    for stale_fields, rows in by_stale_fields.items():
        _update_sealed(model, stale_fields, rows)
    return sum(len(rows) for rows in by_stale_fields.values()), values


def _update_sealed(
    model: type[models.Model], fields: tuple[EncryptedMixin, ...], rows: list[models.Model]
) -> None:
    """Write the sealed values of `fields` of `rows` in one UPDATE, joined to a list of new values
    by primary key. Django's bulk_update builds a CASE of one branch per row, which the
    database then tries row by row: most of a rotation's time went there."""
    quote = connection.ops.quote_name
    pk = model._meta.pk
    table = quote(model._meta.db_table)
    columns = [quote(f.column) for f in fields]
    # Postgres needs the types of the list's columns; SQLite takes the values as they are.
    key, value = (
        (f"CAST(%s AS {pk.db_type(connection)})", "CAST(%s AS bytea)")
        if connection.vendor == "postgresql"
        else ("%s", "%s")
    )
    one_row = "(" + ", ".join([key, *[value] * len(columns)]) + ")"
    params: list[Any] = []
    for row in rows:
        params.append(pk.get_db_prep_value(row.pk, connection))
        params.extend(bytes(row.__dict__[f.attname]) for f in fields)
    aliases = ", ".join(["k", *(f"v{i}" for i in range(len(columns)))])
    assignments = ", ".join(f"{column} = new.v{i}" for i, column in enumerate(columns))
    with connection.cursor() as cursor:
        # Identifiers come from model metadata, quoted; every value is a parameter.
        cursor.execute(
            f"WITH new ({aliases}) AS (VALUES {', '.join([one_row] * len(rows))}) "  # noqa: S608
            f"UPDATE {table} SET {assignments} FROM new WHERE {table}.{quote(pk.column)} = new.k",
            params,
        )


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
