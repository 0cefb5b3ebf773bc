from django.db import migrations

from safespaces.accounts.roles import grant_permissions

# Administrators may read situations, assessments and measures in the records admin and correct
# situations and measures. Everyone else works in the Risks pages, whose rules live in
# riskassessment.selectors.
PERMISSIONS = {
    "Administrator": [
        "riskassessment.view_risksituation",
        "riskassessment.change_risksituation",
        "riskassessment.view_assessment",
        "riskassessment.view_measure",
        "riskassessment.change_measure",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("riskassessment", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
