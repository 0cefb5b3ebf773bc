from django.db import migrations

CONSTRAINT = "actor_directory_only_active"


def add_where_missing(apps, schema_editor):
    """Create the CHECK constraint on a database made before 0001_initial gained it.

    0001_initial was edited after it had landed, so a database migrated before the edit records
    0001 as applied and lacks the constraint, while one made since has it. The migration state
    already holds it (from 0001), so this changes the database only, and only when the database
    says the constraint is not there: on SQLite Django reads it from the table's SQL, on Postgres
    from pg_constraint.
    """
    actor = apps.get_model("allies", "Actor")
    table = actor._meta.db_table
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, table)
    if CONSTRAINT in present:
        return
    # Such a database may hold archived actors still listed in the directory (archiving took
    # them out only from the same change on). Out of the directory they go, as archiving does
    # today; a new version refuses an edit form opened before. No name or value is touched.
    schema_editor.execute(
        f"UPDATE {schema_editor.quote_name(table)} SET in_directory = %s, version = version + 1 "
        "WHERE in_directory = %s AND archived = %s",
        [False, True, True],
    )
    constraint = next(c for c in actor._meta.constraints if c.name == CONSTRAINT)
    # On SQLite this rebuilds the table from the model state, which has the constraint.
    schema_editor.add_constraint(actor, constraint)


class Migration(migrations.Migration):
    dependencies = [("allies", "0003_sharing_consent")]

    # Backwards there is nothing to undo: 0001_initial makes the constraint on a new database.
    operations = [migrations.RunPython(add_where_missing, migrations.RunPython.noop)]
