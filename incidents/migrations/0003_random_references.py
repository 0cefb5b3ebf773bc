"""References become random: every incident gets one, and keeps its numbered reference as
`former_reference` so what was printed or noted with it still finds the incident. The yearly
counters go: nothing counts incidents any more."""

import re
import secrets

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# A copy of incidents.references as it is now: a migration must not change with the app's code.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH = 500
# The numbered references the yearly counters gave: INC-<year>-<number>, four digits or more.
NUMBERED = re.compile(r"^INC-(\d{4})-(\d+)$")


def _draw(taken: set[str]) -> str:
    while True:
        reference = "INC-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        if reference not in taken:
            taken.add(reference)
            return reference


def randomise(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Incident = apps.get_model("incidents", "Incident")
    incidents = list(Incident.objects.only("id", "reference").order_by("pk"))
    taken = {incident.reference for incident in incidents}
    for incident in incidents:
        incident.former_reference = incident.reference
        incident.reference = _draw(taken)
    # Only these two columns: nothing encrypted is read or written.
    Incident.objects.bulk_update(incidents, ["reference", "former_reference"], batch_size=BATCH)


def restore(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Incidents logged since have no numbered reference; they keep their random one.
    Incident = apps.get_model("incidents", "Incident")
    incidents = list(Incident.objects.exclude(former_reference="").only("id", "former_reference"))
    for incident in incidents:
        incident.reference, incident.former_reference = incident.former_reference, ""
    Incident.objects.bulk_update(incidents, ["reference", "former_reference"], batch_size=BATCH)
    # The counters come back empty: each year's starts from its highest number, or the code
    # that numbers again would give out INC-<year>-0001 a second time and fail to log it.
    ReferenceCounter = apps.get_model("incidents", "ReferenceCounter")
    last: dict[int, int] = {}
    for incident in incidents:
        if numbered := NUMBERED.match(incident.reference):
            year, number = int(numbered[1]), int(numbered[2])
            last[year] = max(number, last.get(year, 0))
    ReferenceCounter.objects.bulk_create(
        ReferenceCounter(year=year, last=number) for year, number in sorted(last.items())
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_role_permissions")]

    operations = [
        migrations.AddField(
            model_name="incident",
            name="former_reference",
            field=models.CharField(
                blank=True, editable=False, max_length=16, verbose_name="former reference"
            ),
        ),
        migrations.AddConstraint(
            model_name="incident",
            constraint=models.UniqueConstraint(
                condition=models.Q(("former_reference", ""), _negated=True),
                fields=("former_reference",),
                name="incident_former_reference_unique",
            ),
        ),
        migrations.RunPython(randomise, restore),
        migrations.DeleteModel(name="ReferenceCounter"),
    ]
