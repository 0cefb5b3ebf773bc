from django.db import migrations

from safespaces.accounts.roles import grant_permissions

# Administrators manage places in the records admin too. Coordinators use the Places pages.
PERMISSIONS = {
    "Administrator": [
        "places.add_place",
        "places.change_place",
        "places.delete_place",
        "places.view_place",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("places", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
