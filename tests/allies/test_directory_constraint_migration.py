"""The migration that restores `actor_directory_only_active` on databases made before 0001_initial
gained it: it creates the constraint where it is missing, taking archived actors out of the
directory first, and does nothing where the constraint is already there."""

import importlib
from typing import Any

import pytest
from django.db import IntegrityError, connection, migrations, transaction
from django.db.migrations.executor import MigrationExecutor

CONSTRAINT = "actor_directory_only_active"
MIGRATION = importlib.import_module(
    "allies.migrations.0004_actor_directory_only_active_where_missing"
)
BEFORE = [("allies", "0003_sharing_consent")]
AFTER = [("allies", "0004_actor_directory_only_active_where_missing")]


def actor_constraints() -> dict[str, Any]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, "allies_actor")


def drop_the_constraint(executor: MigrationExecutor) -> None:
    """Make the table as a database migrated before the edit of 0001 has it."""
    operation = migrations.RemoveConstraint("actor", CONSTRAINT)
    state = executor.loader.project_state(BEFORE)
    without = state.clone()
    operation.state_forwards("allies", without)
    with connection.schema_editor() as editor:
        operation.database_forwards("allies", editor, state, without)


def new_actor(apps: Any, **values: object) -> Any:
    return apps.get_model("allies", "Actor").objects.create(
        name="Harbour Shelter", kind="organization", sector="shelter", stance="ally", power=3,
        **values,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("committed_for_real")
def test_it_creates_the_constraint_where_an_old_database_lacks_it() -> None:
    # Schema steps, so real transactions: SQLite cannot change a table inside one.
    executor = MigrationExecutor(connection)
    try:
        before = executor.migrate(BEFORE).apps
        drop_the_constraint(executor)
        assert CONSTRAINT not in actor_constraints()
        listed_and_archived = new_actor(before, in_directory=True, archived=True)
        listed = new_actor(before, in_directory=True)

        executor.loader.build_graph()
        after = executor.migrate(AFTER).apps

        assert CONSTRAINT in actor_constraints()
        actors = after.get_model("allies", "Actor").objects
        assert actors.values_list("in_directory", "version").get(pk=listed_and_archived.pk) == (
            False,
            2,
        )
        assert actors.values_list("in_directory", "version").get(pk=listed.pk) == (True, 1)
        # The database itself now refuses an archived actor in the directory.
        with pytest.raises(IntegrityError), transaction.atomic():
            actors.filter(pk=listed.pk).update(archived=True)
    finally:
        # The rest of the run expects the database as migrations leave it.
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_it_does_nothing_where_the_constraint_is_there() -> None:
    apps = MigrationExecutor(connection).loader.project_state(AFTER).apps
    # Collects the statements it would run instead of running them.
    editor = connection.schema_editor(collect_sql=True)

    MIGRATION.add_where_missing(apps, editor)

    assert CONSTRAINT in actor_constraints()
    assert editor.collected_sql == []
