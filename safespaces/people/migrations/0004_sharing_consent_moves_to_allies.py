from django.db import migrations


class Migration(migrations.Migration):
    """Sharing consents now belong to the allies app, which names the actor by a foreign key.

    Only Django's idea of the model goes here; the table stays, and allies' 0003 takes it over.
    """

    dependencies = [("people", "0003_erasure")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SharingConsent")],
        ),
    ]
