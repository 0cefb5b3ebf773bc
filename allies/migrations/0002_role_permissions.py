from django.db import migrations

from safespaces.accounts.roles import grant_permissions

# Administrators manage actors in the records admin too. Coordinators use the Allies pages.
# Engagements and relations are history: the admin may read and correct them, not delete them.
PERMISSIONS = {
    "Administrator": [
        "allies.add_actor",
        "allies.change_actor",
        "allies.view_actor",
        "allies.change_engagement",
        "allies.view_engagement",
        "allies.view_relation",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("allies", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
