from django.db import migrations

from safespaces.accounts.roles import grant_permissions

PERMISSIONS = {
    "Administrator": [
        "people.add_person",
        "people.change_person",
        "people.view_person",
        "people.view_identitygrant",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
