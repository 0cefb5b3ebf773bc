"""Encrypted values are stored as bytes: text columns of older databases become binary."""

from django.db import migrations

from safespaces.crypto.columns import sealed_columns_to_binary


class Migration(migrations.Migration):
    dependencies = [("allies", "0004_actor_directory_only_active_where_missing")]

    operations = [sealed_columns_to_binary("allies")]
