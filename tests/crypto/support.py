"""A test-only model with every encrypted field type, and helpers that read and write raw columns.

`Secret` is registered in a private app registry, not in `django.apps.apps`, so it needs no
migration, and the system checks, the rotate and verify commands and the leak test never see it.
`tests/crypto/conftest.py` creates its table once per session, outside any transaction: SQLite's
schema editor refuses to run inside `atomic()`, so creating it inside a test would only work on
Postgres.
"""

import uuid
from typing import Any

from django.apps.registry import Apps
from django.db import connection, models

from safespaces.crypto.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField

test_apps = Apps()


class Secret(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = EncryptedCharField(max_length=200, null=True, blank=True)
    body = EncryptedTextField(null=True, blank=True)
    data = EncryptedJSONField(null=True, blank=True)

    class Meta:
        apps = test_apps
        app_label = "crypto_tests"
        db_table = "crypto_tests_secret"

    def __str__(self) -> str:
        return "secret"


def _where_pk(model: type[models.Model], field_name: str) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return (
        quote(model._meta.db_table),
        quote(model._meta.get_field(field_name).column),
        quote(model._meta.pk.column),
    )


def raw_value(model: type[models.Model], field_name: str, pk: Any) -> Any:
    """The column exactly as stored, bypassing the field's converters."""
    table, column, pk_column = _where_pk(model, field_name)
    with connection.cursor() as cursor:
        # Identifiers come from model metadata, quoted; the value is a parameter.
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE {pk_column} = %s",  # noqa: S608
            [model._meta.pk.get_db_prep_value(pk, connection)],
        )
        value = cursor.fetchone()[0]
    # Postgres hands bytea over as a memoryview.
    return bytes(value) if isinstance(value, memoryview) else value


def write_raw(model: type[models.Model], field_name: str, pk: Any, value: Any) -> None:
    """Overwrite a column behind the ORM's back, as a tampering attacker or a bad restore would."""
    table, column, pk_column = _where_pk(model, field_name)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s",  # noqa: S608
            [value, model._meta.pk.get_db_prep_value(pk, connection)],
        )
