"""The data step of the migration that makes references random: every incident logged with a
numbered reference gets a random one and keeps the number, so what was printed with it still
finds the incident. The data step is called on incidents as they were before it; going back runs
the whole migration, schema steps included, on a table with rows."""

import importlib
import re
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.test import Client

from incidents.models import Incident
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import IncidentFactory

migration = importlib.import_module("incidents.migrations.0003_random_references")
REFERENCE = re.compile(r"INC-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}")
NUMBERS = ["INC-2026-0001", "INC-2026-0004", "INC-2026-0005"]
BEFORE = ("incidents", "0002_role_permissions")
AFTER = ("incidents", "0003_random_references")


def log_numbered() -> None:
    for number in NUMBERS:
        IncidentFactory(reference=number, summary=f"Logged as {number}")


def test_every_incident_gets_a_random_reference_and_keeps_its_number(db: None) -> None:
    log_numbered()

    migration.randomise(apps, None)

    rows = list(Incident.objects.values_list("reference", "former_reference"))
    assert sorted(former for _, former in rows) == NUMBERS
    assert all(REFERENCE.fullmatch(reference) for reference, _ in rows), rows
    assert len({reference for reference, _ in rows}) == 3
    # Only the references changed: what people wrote still opens, under the same row.
    assert Incident.objects.get(former_reference="INC-2026-0004").summary == (
        "Logged as INC-2026-0004"
    )


def test_the_number_still_finds_the_incident_in_the_list(client: Client, staff: User) -> None:
    log_numbered()
    migration.randomise(apps, None)
    incident = Incident.objects.get(former_reference="INC-2026-0004")

    response = sign_in(client, staff).get("/incidents/", {"reference": "inc-2026-0004 "})

    assert response.status_code == 200
    assert [shown.pk for shown in response.context["page"]] == [incident.pk]
    assert incident.reference.encode() in response.content


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("committed_for_real")
def test_going_back_restores_the_numbers_and_each_years_counter() -> None:
    # The schema steps too, so real transactions: SQLite cannot change a table inside one.
    executor = MigrationExecutor(connection)
    try:
        before = executor.migrate([BEFORE]).apps
        reporter = before.get_model("accounts", "User").objects.create(username="lin")
        for number in [*NUMBERS, "INC-2025-0012", "INC-2025-0003"]:
            numbered(before, reporter, number)

        executor.loader.build_graph()
        after = executor.migrate([AFTER]).apps
        randomised = after.get_model("incidents", "Incident").objects
        assert randomised.exclude(former_reference="").count() == 5
        since = numbered(after, reporter, "INC-7KQ2XM")

        executor.loader.build_graph()
        back = executor.migrate([BEFORE]).apps

        incidents = back.get_model("incidents", "Incident").objects
        assert sorted(incidents.exclude(pk=since.pk).values_list("reference", flat=True)) == [
            "INC-2025-0003",
            "INC-2025-0012",
            *NUMBERS,
        ]
        assert incidents.get(pk=since.pk).reference == "INC-7KQ2XM"
        counters = back.get_model("incidents", "ReferenceCounter").objects
        # The next incident of each year gets the number after the highest one given.
        assert dict(counters.values_list("year", "last")) == {2025: 12, 2026: 5}
    finally:
        # The rest of the run expects the database as migrations leave it.
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def numbered(apps: StateApps, reporter: Any, reference: str) -> Any:
    """An incident as the historical model of `apps` stores it: only what the form requires."""
    return apps.get_model("incidents", "Incident").objects.create(
        reference=reference,
        reporter_id=reporter.pk,
        kind="incident",
        occurred_on=date(2026, 3, 2),
        summary="Followed after outreach",
        severity=2,
    )
