import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CONSTRAINT = "one_active_consent_per_ally"


def delete_orphans(apps, schema_editor):
    """Consents naming an actor that is no longer on record go before the foreign key is made.

    The app only ever offered actors on record, so such a row comes from an actor deleted outside
    it. It permits sharing with nobody who exists, and keeping it would need the actor to be
    optional for every other consent too. The audit trail keeps the events that recorded it.
    """
    consents = apps.get_model("allies", "SharingConsent").objects
    actors = apps.get_model("allies", "Actor").objects
    consents.exclude(ally_code__in=actors.values("pk")).delete()


def move_content_type(apps, schema_editor, *, source="people", target="allies"):
    """So the permissions Django made for the model keep pointing at it."""
    content_types = apps.get_model("contenttypes", "ContentType").objects
    if not content_types.filter(app_label=target, model="sharingconsent").exists():
        content_types.filter(app_label=source, model="sharingconsent").update(app_label=target)


def move_content_type_back(apps, schema_editor):
    move_content_type(apps, schema_editor, source="allies", target="people")


class Migration(migrations.Migration):
    """Take over people's sharing consents, rows and all, and name the actor by a foreign key.

    The table is not copied: the model is declared here over the existing table, its actor column
    becomes a foreign key (after the rows that name no actor on record go), then the table takes
    this app's name.
    """

    dependencies = [
        ("allies", "0002_role_permissions"),
        ("people", "0004_sharing_consent_moves_to_allies"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SharingConsent",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        ("ally_code", models.UUIDField()),
                        ("given_on", models.DateField()),
                        ("withdrawn_on", models.DateField(blank=True, null=True)),
                        (
                            "person",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sharing_consents",
                                to="people.person",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "people_sharingconsent",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("withdrawn_on__isnull", True)),
                                fields=("person", "ally_code"),
                                name=CONSTRAINT,
                            )
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(delete_orphans, migrations.RunPython.noop),
        # The constraint names the column, so it is made again once the column has its new name.
        migrations.RemoveConstraint(model_name="sharingconsent", name=CONSTRAINT),
        migrations.RenameField(model_name="sharingconsent", old_name="ally_code", new_name="ally"),
        migrations.AlterField(
            model_name="sharingconsent",
            name="ally",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="sharing_consents",
                to="allies.actor",
            ),
        ),
        migrations.AddConstraint(
            model_name="sharingconsent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("withdrawn_on__isnull", True)),
                fields=("person", "ally"),
                name=CONSTRAINT,
            ),
        ),
        migrations.AlterModelTable(name="sharingconsent", table=None),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
