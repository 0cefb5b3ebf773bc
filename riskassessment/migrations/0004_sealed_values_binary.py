"""Encrypted values are stored as bytes: text columns of older databases become binary."""

from django.db import migrations

from safespaces.crypto.columns import sealed_columns_to_binary


class Migration(migrations.Migration):
    dependencies = [("riskassessment", "0003_risksituation_check_in_grace_minutes")]

    operations = [sealed_columns_to_binary("riskassessment")]
