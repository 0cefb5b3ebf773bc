"""Encrypted values are stored as bytes: text columns of older databases become binary."""

from django.db import migrations

from safespaces.crypto.columns import sealed_columns_to_binary


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_usersession_started_at_index")]

    operations = [sealed_columns_to_binary("accounts")]
