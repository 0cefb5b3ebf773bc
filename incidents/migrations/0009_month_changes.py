"""Month changes: a row for every incident written, added by triggers in the writer's own
transaction, so that the trends' kept counts (incidents.monthly) know which months changed,
whatever wrote the incident: the app, a bulk load, a raw UPDATE.

On SQLite, a later migration that rebuilds incidents_incident (most AlterField and RemoveField
do) drops these triggers with the old table: re-create them in that migration.
tests/incidents/test_trends_kept.py fails if they are gone."""

from typing import Any

from django.db import migrations, models

# The columns whose change can change a count or a filter of the trends page: a change of any
# other column (an encrypted text, a key rotation) leaves the counts as they are and writes no
# row. A test holds this list to what incidents.trends counts and filters on.
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

POSTGRES = f"""
CREATE FUNCTION incidents_month_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
            AND date_trunc('month', OLD.occurred_on::timestamp)
                <> date_trunc('month', NEW.occurred_on::timestamp)) THEN
        INSERT INTO incidents_monthchange (month)
            VALUES (date_trunc('month', OLD.occurred_on::timestamp)::date);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO incidents_monthchange (month)
            VALUES (date_trunc('month', NEW.occurred_on::timestamp)::date);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incidents_month_changed
    AFTER INSERT OR DELETE OR UPDATE OF {_COLUMNS} ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION incidents_month_changed();
"""
POSTGRES_REVERSE = """
DROP TRIGGER incidents_month_changed ON incidents_incident;
DROP FUNCTION incidents_month_changed();
"""

SQLITE = [
    """
CREATE TRIGGER incidents_month_added AFTER INSERT ON incidents_incident BEGIN
    INSERT INTO incidents_monthchange (month) VALUES (date(NEW.occurred_on, 'start of month'));
END
""",
    f"""
CREATE TRIGGER incidents_month_changed AFTER UPDATE OF {_COLUMNS} ON incidents_incident BEGIN
    INSERT INTO incidents_monthchange (month)
        SELECT date(OLD.occurred_on, 'start of month')
        WHERE date(OLD.occurred_on, 'start of month') <> date(NEW.occurred_on, 'start of month');
    INSERT INTO incidents_monthchange (month) VALUES (date(NEW.occurred_on, 'start of month'));
END
""",
    """
CREATE TRIGGER incidents_month_removed AFTER DELETE ON incidents_incident BEGIN
    INSERT INTO incidents_monthchange (month) VALUES (date(OLD.occurred_on, 'start of month'));
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
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
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
