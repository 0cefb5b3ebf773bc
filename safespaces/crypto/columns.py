"""Encrypted columns hold bytes: the step each app's migration runs to make its columns binary.

Encrypted fields seal into bytes (`cipher.seal_binary`), stored as they are in a binary column:
`bytea` on Postgres, `BLOB` on SQLite. A database created before then has text columns holding
base64. On Postgres each such column is turned into `bytea` in place, keeping the text's bytes,
which open as before (`EncryptedMixin.open_value`) until `rotate_keys` re-seals them. SQLite
keeps whatever a column holds, bytes or text, so its columns are left as they are. A database
created since has binary columns from the start, and the step finds nothing to do.

Going back leaves the columns binary: values sealed as bytes cannot be turned back into text.
"""

from typing import Any

from django.db import migrations

from safespaces.crypto.fields import encrypted_fields


def sealed_columns_to_binary(app_label: str) -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for model in apps.get_app_config(app_label).get_models():
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT column_name FROM information_schema.columns WHERE "
                    "table_schema = current_schema() AND table_name = %s AND data_type = 'text'",
                    [table],
                )
                text_columns = {name for (name,) in cursor.fetchall()}
            columns = [f.column for f in encrypted_fields(model) if f.column in text_columns]
            if not columns:
                continue
            # One statement per table: Postgres rewrites the table once for all its columns.
            changes = ", ".join(
                f"ALTER COLUMN {quote(c)} TYPE bytea USING convert_to({quote(c)}, 'UTF8')"
                for c in columns
            )
            schema_editor.execute(f"ALTER TABLE {quote(table)} {changes}")

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)
