from django.db import migrations

from safespaces.accounts.roles import grant_permissions

# Administrators may read and correct incidents in the records admin, and read timelines.
# Everyone else works in the Incidents pages, whose rules live in incidents.selectors.
PERMISSIONS = {
    "Administrator": [
        "incidents.change_incident",
        "incidents.view_incident",
        "incidents.view_timelineentry",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
