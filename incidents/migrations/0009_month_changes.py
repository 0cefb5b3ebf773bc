"""Month changes: a row for every incident written, added by triggers in the writer's own
transaction, so that the trends' kept counts (incidents.monthly) know which months changed,
whatever wrote the incident: the app, a bulk load, a raw UPDATE.

On SQLite, a later migration that rebuilds incidents_incident (most AlterField and RemoveField
do) drops these triggers with the old table: re-create them in that migration.
tests/incidents/test_trends_kept.py fails if they are gone."""

import uuid
from typing import Any

from django.db import migrations, models

# The columns whose change can change a count or a filter of the trends page: a change of any
# other column (an encrypted text, a key rotation), or a save that leaves these as they were,
# writes no row. A test holds this list to what incidents.trends counts and filters on.
COUNTED_COLUMNS = (
    "occurred_on",
    "visibility",
    "kind",
    "category",
    "severity",
    "status",
    "place_id",
    "source_id",
    "reference",
    "created_at",
    "first_reviewed_at",
)
_COLUMNS = ", ".join(COUNTED_COLUMNS)

_CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in COUNTED_COLUMNS)
_SQLITE_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COUNTED_COLUMNS)

# A row's id is drawn by the database (gen_random_uuid() is in Postgres from 13): no sequence,
# which a test's serialized rollback would reload rows past.
POSTGRES = f"""
CREATE FUNCTION incidents_month_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
            AND date_trunc('month', OLD.occurred_on::timestamp)
                <> date_trunc('month', NEW.occurred_on::timestamp)) THEN
        INSERT INTO incidents_monthchange (id, month)
            VALUES (gen_random_uuid(), date_trunc('month', OLD.occurred_on::timestamp)::date);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO incidents_monthchange (id, month)
            VALUES (gen_random_uuid(), date_trunc('month', NEW.occurred_on::timestamp)::date);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incidents_month_written AFTER INSERT OR DELETE ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION incidents_month_changed();
-- Only a change of a counted value: an edit form saves every column, most of them unchanged.
CREATE TRIGGER incidents_month_changed AFTER UPDATE OF {_COLUMNS} ON incidents_incident
    FOR EACH ROW WHEN ({_CHANGED}) EXECUTE FUNCTION incidents_month_changed();

-- TRUNCATE fires no row trigger: every month known to have changed changes once more. A month
-- never written has nothing kept but empty counts, which stay right.
CREATE FUNCTION incidents_months_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO incidents_monthchange (id, month)
        SELECT gen_random_uuid(), month FROM (
            SELECT month FROM incidents_monthrevision
            UNION SELECT month FROM incidents_monthchange
        ) AS known;
    RETURN NULL;
END
$$;
CREATE TRIGGER incidents_months_emptied AFTER TRUNCATE ON incidents_incident
    FOR EACH STATEMENT EXECUTE FUNCTION incidents_months_emptied();
"""
POSTGRES_REVERSE = """
DROP TRIGGER incidents_months_emptied ON incidents_incident;
DROP FUNCTION incidents_months_emptied();
DROP TRIGGER incidents_month_changed ON incidents_incident;
DROP TRIGGER incidents_month_written ON incidents_incident;
DROP FUNCTION incidents_month_changed();
"""

# SQLite has no TRUNCATE: a DELETE without WHERE fires the row trigger for every row.
_SQLITE_ID = "lower(hex(randomblob(16)))"  # a UUID as Django stores one in SQLite
SQLITE = [
    f"""
CREATE TRIGGER incidents_month_added AFTER INSERT ON incidents_incident BEGIN
    INSERT INTO incidents_monthchange (id, month)
        VALUES ({_SQLITE_ID}, date(NEW.occurred_on, 'start of month'));
END
""",
    f"""
CREATE TRIGGER incidents_month_changed AFTER UPDATE OF {_COLUMNS} ON incidents_incident
WHEN {_SQLITE_CHANGED} BEGIN
    INSERT INTO incidents_monthchange (id, month)
        SELECT {_SQLITE_ID}, date(OLD.occurred_on, 'start of month')
        WHERE date(OLD.occurred_on, 'start of month') <> date(NEW.occurred_on, 'start of month');
    INSERT INTO incidents_monthchange (id, month)
        VALUES ({_SQLITE_ID}, date(NEW.occurred_on, 'start of month'));
END
""",
    f"""
CREATE TRIGGER incidents_month_removed AFTER DELETE ON incidents_incident BEGIN
    INSERT INTO incidents_monthchange (id, month)
        VALUES ({_SQLITE_ID}, date(OLD.occurred_on, 'start of month'));
END
""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER incidents_month_added",
    "DROP TRIGGER incidents_month_changed",
    "DROP TRIGGER incidents_month_removed",
]


def _run(statements: dict[str, list[str]], schema_editor: Any) -> None:
    for statement in statements[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


def triggers_create(apps: Any, schema_editor: Any) -> None:
    _run({"postgresql": [POSTGRES], "sqlite": SQLITE}, schema_editor)


def triggers_drop(apps: Any, schema_editor: Any) -> None:
    _run({"postgresql": [POSTGRES_REVERSE], "sqlite": SQLITE_REVERSE}, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_near_another"),
    ]

    operations = [
        migrations.CreateModel(
            name="MonthChange",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        default=uuid.uuid4, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("month", models.DateField(db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name="MonthRevision",
            fields=[
                ("month", models.DateField(primary_key=True, serialize=False)),
                ("folded", models.PositiveBigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
