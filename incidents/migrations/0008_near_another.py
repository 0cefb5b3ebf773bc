"""Incident.near_another: whether another incident at the same place from the same source lies
within the patterns' window, kept by the database itself so that every way of writing keeps it
(save, bulk_create, queryset.update(), a script in psql).

The triggers only ever set the flag. An incident that leaves its neighbours (moved, deleted)
may keep it: the patterns then read one row for nothing, but never miss one
(incidents.patterns.pattern_candidates says why a superset gives the same patterns).

On SQLite, a later migration that rebuilds incidents_incident (most AlterField and RemoveField
do) drops these triggers with the old table: re-create them in that migration.
tests/incidents/test_near_another.py fails if they are gone.
"""

from django.conf import settings
from django.db import migrations, models

# incidents.patterns.WINDOW, in days. The triggers compare dates with it, so changing WINDOW needs
# a new migration that re-creates them (and sets the flag again for the longer window);
# tests/incidents/test_near_another.py fails while the two differ.
WINDOW_DAYS = 90

# Postgres: who may flag incidents at a place and source, one transaction at a time. Without
# it, two transactions logging neighbours at the same moment would each look before the other
# committed, and neither would flag the pair. The place and source are hashed into 256 locks
# (the second key), so a bulk insert of thousands of incidents holds at most 256 of the
# server's shared lock slots; two pairs that share a lock only wait for each other. The turn
# taking rests on READ COMMITTED, Postgres' default and the app's: the statements after the lock
# each see what was committed before them. A stricter isolation would not.
LOCK_CLASS = 0x5AFE_0E4A  # any constant no other advisory lock of the app uses
LOCK_BUCKETS = 256

POSTGRES = f"""
CREATE OR REPLACE FUNCTION incidents_near_another_mark() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.place_id IS NULL OR NEW.source_id IS NULL THEN
        RETURN NULL;
    END IF;
    -- Held until the transaction ends. A transaction that waited for it then sees, in the
    -- statements below (each takes a new snapshot under READ COMMITTED), what the one that held
    -- it committed.
    PERFORM pg_advisory_xact_lock(
        {LOCK_CLASS}, hashtext(NEW.place_id::text || NEW.source_id::text) & {LOCK_BUCKETS - 1}
    );
    IF EXISTS (
        SELECT FROM incidents_incident AS other
        WHERE other.place_id = NEW.place_id AND other.source_id = NEW.source_id
            AND other.occurred_on BETWEEN NEW.occurred_on - {WINDOW_DAYS}
                AND NEW.occurred_on + {WINDOW_DAYS}
            AND other.id <> NEW.id
    ) THEN
        -- Sets near_another only: the trigger, on UPDATE OF place_id, source_id, occurred_on,
        -- does not fire again for it.
        UPDATE incidents_incident SET near_another = TRUE
        WHERE place_id = NEW.place_id AND source_id = NEW.source_id
            AND occurred_on BETWEEN NEW.occurred_on - {WINDOW_DAYS}
                AND NEW.occurred_on + {WINDOW_DAYS}
            AND NOT near_another;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER incidents_near_another
    AFTER INSERT OR UPDATE OF place_id, source_id, occurred_on ON incidents_incident
    FOR EACH ROW EXECUTE FUNCTION incidents_near_another_mark();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS incidents_near_another ON incidents_incident;
DROP FUNCTION IF EXISTS incidents_near_another_mark();
"""

# SQLite lets one writer at a time in, so no lock is needed. The nested UPDATE sets near_another
# only, so the UPDATE OF trigger does not fire for it (nor would any trigger fire from within
# itself: recursive_triggers is off unless a connection turns it on, and the app does not).
SQLITE_MARK = f"""
    UPDATE incidents_incident SET near_another = TRUE
    WHERE place_id = NEW.place_id AND source_id = NEW.source_id
        AND occurred_on BETWEEN date(NEW.occurred_on, '-{WINDOW_DAYS} days')
            AND date(NEW.occurred_on, '+{WINDOW_DAYS} days')
        AND NOT near_another
        AND EXISTS (
            SELECT 1 FROM incidents_incident AS other
            WHERE other.place_id = NEW.place_id AND other.source_id = NEW.source_id
                AND other.occurred_on BETWEEN date(NEW.occurred_on, '-{WINDOW_DAYS} days')
                    AND date(NEW.occurred_on, '+{WINDOW_DAYS} days')
                AND other.id <> NEW.id
        );
"""
SQLITE_WHEN = "WHEN NEW.place_id IS NOT NULL AND NEW.source_id IS NOT NULL"
SQLITE = [
    f"CREATE TRIGGER incidents_near_another_insert AFTER INSERT ON incidents_incident "
    f"{SQLITE_WHEN} BEGIN {SQLITE_MARK} END;",
    f"CREATE TRIGGER incidents_near_another_update "
    f"AFTER UPDATE OF place_id, source_id, occurred_on ON incidents_incident "
    f"{SQLITE_WHEN} BEGIN {SQLITE_MARK} END;",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS incidents_near_another_insert;",
    "DROP TRIGGER IF EXISTS incidents_near_another_update;",
]

# The incidents already there: each one's neighbours before and after it at its place from its
# source (as pattern_candidates finds them), in one pass.
BACKFILL = """
UPDATE incidents_incident SET near_another = TRUE WHERE id IN (
    SELECT id FROM (
        SELECT id, occurred_on,
            LAG(occurred_on) OVER neighbours AS previous_on,
            LEAD(occurred_on) OVER neighbours AS next_on
        FROM incidents_incident
        WHERE place_id IS NOT NULL AND source_id IS NOT NULL
        WINDOW neighbours AS (PARTITION BY place_id, source_id ORDER BY occurred_on)
    ) AS around
    WHERE previous_on >= {earliest} OR next_on <= {latest}
)
"""
BACKFILL_BOUNDS = {
    "postgresql": {
        "earliest": f"occurred_on - {WINDOW_DAYS}",
        "latest": f"occurred_on + {WINDOW_DAYS}",
    },
    "sqlite": {
        "earliest": f"date(occurred_on, '-{WINDOW_DAYS} days')",
        "latest": f"date(occurred_on, '+{WINDOW_DAYS} days')",
    },
}


def backfill_statement(vendor):
    return BACKFILL.format(**BACKFILL_BOUNDS[vendor])


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor in BACKFILL_BOUNDS:
        schema_editor.execute(backfill_statement(vendor))


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES] if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = (
        [POSTGRES_REVERSE] if vendor == "postgresql" else SQLITE_REVERSE if vendor == "sqlite" else []
    )
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('allies', '0005_sealed_values_binary'),
        ('incidents', '0007_trends_and_patterns_indexes'),
        ('people', '0006_sealed_values_binary'),
        ('places', '0003_sealed_values_binary'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='incident',
            name='near_another',
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        # Before the triggers and the index: one UPDATE that fires no trigger, then one build.
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(install, remove),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(condition=models.Q(('near_another', True)), fields=['place', 'source', 'occurred_on'], include=('visibility', 'reporter', 'id', 'reference', 'kind', 'category', 'severity'), name='incident_patterns_near_idx'),
        ),
    ]
