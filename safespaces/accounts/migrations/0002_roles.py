"""Create the three roles as groups with the platform's permissions."""

from django.db import migrations

from safespaces.accounts.roles import grant_permissions

PERMISSIONS = {
    "Staff": [],
    "Coordinator": [],
    "Administrator": [
        "accounts.manage_users",
        "accounts.reset_second_factor",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "audit.view_auditevent",
        "auth.view_group",
        "auth.change_group",
    ],
}


def create_roles(apps, schema_editor):
    grant_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
