"""Encrypted values are stored as bytes: text columns of older databases become binary."""

from django.db import migrations

from safespaces.crypto.columns import sealed_columns_to_binary


class Migration(migrations.Migration):
    dependencies = [("incidents", "0004_timeline_welfare_entry")]

    operations = [sealed_columns_to_binary("incidents")]
