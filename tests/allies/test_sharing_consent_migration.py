"""The migration that moves sharing consents from people to allies keeps every consent that names
an actor on record, now by a foreign key the database checks, and drops those naming none."""

import uuid
from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

BEFORE = [("allies", "0002_role_permissions"), ("people", "0003_erasure")]
AFTER = [("allies", "0003_sharing_consent")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("committed_for_real")
def test_consents_keep_their_rows_and_name_their_actor_by_a_foreign_key() -> None:
    # Schema steps, so real transactions: SQLite cannot change a table inside one.
    executor = MigrationExecutor(connection)
    try:
        before = executor.migrate(BEFORE).apps
        coordinator = before.get_model("accounts", "User").objects.create(username="ana")
        heron, kestrel = person(before, "Heron"), person(before, "Kestrel")
        shelter, clinic = actor(before, "Harbour Shelter"), actor(before, "Quay Clinic")
        old = before.get_model("people", "SharingConsent").objects
        rows = [(heron, shelter, None), (heron, clinic, date(2026, 4, 1)), (kestrel, clinic, None)]
        kept = {}
        for who, ally, withdrawn in rows:
            row = old.create(**given(who, coordinator), ally_code=ally.pk, withdrawn_on=withdrawn)
            kept[row.pk] = (who.alias, ally.name, withdrawn)
        old.create(**given(kestrel, coordinator), ally_code=uuid.uuid4())  # no such actor

        executor.loader.build_graph()
        after = executor.migrate(AFTER).apps

        consents = after.get_model("allies", "SharingConsent").objects
        moved = {
            consent.pk: (consent.person.alias, consent.ally.name, consent.withdrawn_on)
            for consent in consents.select_related("person", "ally")
        }
        assert moved == kept
        assert set(consents.values_list("given_on", "recorded_by_id").distinct()) == {
            (date(2026, 3, 2), coordinator.pk)
        }
        actors = after.get_model("allies", "Actor").objects
        assert actors.get(pk=clinic.pk).sharing_consents.count() == 2
        # The database itself now refuses an actor that does not exist.
        with pytest.raises(IntegrityError), transaction.atomic():
            consents.create(**given(heron, coordinator), ally_id=uuid.uuid4())
    finally:
        # The rest of the run expects the database as migrations leave it.
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def person(apps: StateApps, alias: str) -> Any:
    return apps.get_model("people", "Person").objects.create(alias=alias, relation="member")


def actor(apps: StateApps, name: str) -> Any:
    return apps.get_model("allies", "Actor").objects.create(
        name=name, kind="organization", sector="shelter", stance="ally", power=3
    )


def given(person: Any, by: Any) -> dict[str, object]:
    """What every consent holds but the actor, which changed its name and type."""
    return {"person_id": person.pk, "given_on": date(2026, 3, 2), "recorded_by_id": by.pk}
