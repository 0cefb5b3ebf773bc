"""Encrypted values are stored as bytes: text columns of older databases become binary."""

from django.db import migrations

from safespaces.crypto.columns import sealed_columns_to_binary


class Migration(migrations.Migration):
    dependencies = [("places", "0002_role_permissions")]

    operations = [sealed_columns_to_binary("places")]
