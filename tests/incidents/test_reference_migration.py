"""The data step of the migration that makes references random: every incident logged with a
numbered reference gets a random one and keeps the number, so what was printed with it still
finds the incident. The schema steps run whenever the test database is made; the data step is
called here on incidents as they were before it."""

import importlib
import re

from django.apps import apps
from django.test import Client

from incidents.models import Incident
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import IncidentFactory

migration = importlib.import_module("incidents.migrations.0003_random_references")
REFERENCE = re.compile(r"INC-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}")
NUMBERS = ["INC-2026-0001", "INC-2026-0004", "INC-2026-0005"]


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


def test_going_back_restores_the_numbers(db: None) -> None:
    log_numbered()
    migration.randomise(apps, None)
    since = IncidentFactory(reference="INC-7KQ2XM")

    migration.restore(apps, None)

    assert sorted(Incident.objects.exclude(pk=since.pk).values_list("reference", flat=True)) == (
        NUMBERS
    )
    assert Incident.objects.get(pk=since.pk).reference == "INC-7KQ2XM"
    assert not Incident.objects.exclude(former_reference="").exists()
