"""What most records share: a random primary key and, for the editable ones, a version; and the
scales that several kinds of record rate or note things on."""

import uuid
from collections.abc import Iterable

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# Every 1-5 rating: severity, power and trust, likelihood and impact, threat, vulnerability and
# capacity. Migrations hold the two validators themselves, so this list can move freely.
ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class CodedModel(models.Model):
    """A record whose primary key is a random UUID, which URLs show as its `code`.

    Never a sequential id: that would tell how many records there are and let anyone who holds
    one link guess the next.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True

    @property
    def code(self) -> uuid.UUID:
        return self.id


class VersionedModel(CodedModel):
    """A record edited in the app, with optimistic locking: an edit saves only if nobody saved
    since the form was opened (see `safespaces.editing`)."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class Factor(models.TextChoices):
    """The gender and intersectional lens: what about the people involved shaped an incident, or
    makes a threat, a vulnerability or a capacity stronger or weaker."""

    GENDER = "gender", _("Gender")
    SOGI = "sogi", _("Sexual orientation or gender identity")
    AGE = "age", _("Age")
    DISABILITY = "disability", _("Disability")
    ETHNICITY = "ethnicity", _("Ethnicity")
    RELIGION = "religion", _("Religion")
    CLASS_CASTE = "class_caste", _("Class or caste")
    MIGRATION = "migration", _("Citizenship or migration status")
    SURVIVOR = "survivor", _("Survivor status")


# Each factor's label by its code, made once: `Factor.values` builds its list on every read, and
# the lists of a risk situation's page read it for each code of each item.
_FACTOR_LABELS = dict(Factor.choices)


def factor_labels(codes: Iterable[str]) -> list[str]:
    """The labels of the factors `codes` names, in the active language, leaving out a code that
    is no longer a factor."""
    return [str(_FACTOR_LABELS[code]) for code in codes if code in _FACTOR_LABELS]
