"""References become random: every incident gets one, and keeps its numbered reference as
`former_reference` so what was printed or noted with it still finds the incident. The yearly
counters go: nothing counts incidents any more."""

import secrets

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# A copy of incidents.references as it is now: a migration must not change with the app's code.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH = 500


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
