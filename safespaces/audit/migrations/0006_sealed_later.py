"""Events are appended without their chain fields and sealed into the chain later.

A request inserts its event with `seq` null and both MACs empty, under no lock; the sealer
(`audit_seal`) then sets those three fields once. The triggers of 0002 refused every UPDATE;
these refuse every UPDATE but that one: a pending row's chain fields set, every other column
as it was. DELETE and TRUNCATE stay refused.

Reversing needs every row sealed first (`manage.py audit_verify` seals them): `seq` becomes
NOT NULL again.
"""

from importlib import import_module

from django.conf import settings
from django.db import migrations, models


append_only = import_module("safespaces.audit.migrations.0002_append_only")

REFUSAL = "the audit trail is append-only: only a pending row's chain fields may be set, once"
REFUSAL_SQL = REFUSAL.replace("'", "''")

POSTGRES_DROP_OLD = "DROP TRIGGER IF EXISTS audit_no_update_delete ON audit_auditevent;"
# Every column but the three chain fields is compared through to_jsonb, so a column added later
# is covered without changing this function.
POSTGRES = f"""
CREATE OR REPLACE FUNCTION audit_allow_only_sealing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.seq IS NULL AND OLD.prev_mac = '' AND OLD.mac = ''
        AND NEW.seq IS NOT NULL AND NEW.prev_mac <> '' AND NEW.mac <> ''
        AND to_jsonb(NEW) - 'seq' - 'prev_mac' - 'mac' = to_jsonb(OLD) - 'seq' - 'prev_mac' - 'mac'
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{REFUSAL_SQL}';
END;
$$;
CREATE TRIGGER audit_only_sealing BEFORE UPDATE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_allow_only_sealing();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""
POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS audit_no_delete ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_only_sealing ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_allow_only_sealing();
CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""

# The columns a sealing update must leave as they were: all but seq, prev_mac and mac. SQLite
# has no row-to-JSON function for a trigger, so they are named (a test checks that the list
# covers every column of the table).
CONTENT_COLUMNS = ["id", "at", "actor_id", "action", "object_type", "object_id", "fields", "shown"]
SEALING = " AND ".join(
    [
        "OLD.seq IS NULL AND OLD.prev_mac = '' AND OLD.mac = ''",
        "NEW.seq IS NOT NULL AND NEW.prev_mac <> '' AND NEW.mac <> ''",
        *(f"NEW.{column} IS OLD.{column}" for column in CONTENT_COLUMNS),
    ]
)
# Dropping the table (SQLite alters a column by copying the table) drops its triggers too: they
# are dropped before and made again after.
SQLITE_DROP_OLD = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]
SQLITE = [
    f"CREATE TRIGGER audit_only_sealing BEFORE UPDATE ON audit_auditevent WHEN NOT ({SEALING}) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL_SQL}'); END;",
    append_only.SQLITE[1],  # audit_no_delete, as before
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_only_sealing;", "DROP TRIGGER IF EXISTS audit_no_delete;"]


def _run(schema_editor, *, postgres, sqlite):
    vendor = schema_editor.connection.vendor
    for statement in postgres if vendor == "postgresql" else sqlite if vendor == "sqlite" else []:
        schema_editor.execute(statement)


def old_triggers_drop(apps, schema_editor):
    _run(schema_editor, postgres=[POSTGRES_DROP_OLD], sqlite=SQLITE_DROP_OLD)


def old_triggers_restore(apps, schema_editor):
    # Postgres: the new triggers are already gone (see new_triggers_drop), which put the old
    # one back; SQLite: the copied table has no trigger left.
    _run(schema_editor, postgres=[], sqlite=append_only.SQLITE)


def new_triggers_install(apps, schema_editor):
    _run(schema_editor, postgres=[POSTGRES], sqlite=SQLITE)


def new_triggers_drop(apps, schema_editor):
    _run(schema_editor, postgres=[POSTGRES_REVERSE], sqlite=SQLITE_REVERSE)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0005_audit_key_rotation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(old_triggers_drop, old_triggers_restore),
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['-id']},
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_audit_actor_i_4ccb81_idx',
        ),
        migrations.RemoveIndex(
            model_name='auditevent',
            name='audit_audit_action_7d5c0f_idx',
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='mac',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_mac',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['actor', '-id'], name='audit_actor_newest_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(fields=['action', '-id'], name='audit_action_newest_idx'),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['id'], name='audit_pending_idx'),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('mac', ''), ('prev_mac', ''), ('seq__isnull', True)), models.Q(('seq__isnull', False), models.Q(('prev_mac', ''), _negated=True), models.Q(('mac', ''), _negated=True)), _connector='OR'), name='audit_sealed_whole_or_pending'),
        ),
        migrations.RunPython(new_triggers_install, new_triggers_drop),
    ]
