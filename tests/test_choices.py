"""Each model's get_FOO_display() reads its table (safespaces.choices) and answers as Django's
own does, in every language."""

from functools import partialmethod
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from safespaces.choices import _display

# Django's own get_FOO_display(), which the tables replace (the stubs do not declare it).
djangos_display = models.Model._get_FIELD_display  # type: ignore[attr-defined]


def displays() -> list[tuple[type[models.Model], Any]]:
    return [
        (model, field)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.local_fields
        if field.choices is not None
    ]


def test_every_display_django_made_reads_its_table() -> None:
    made = [
        (model, field, method)
        for model, field in displays()
        if isinstance(method := model.__dict__[f"get_{field.name}_display"], partialmethod)
    ]
    assert len(made) > 40  # the incidents', risks', check-ins' and accounts' choices
    for model, field, method in made:
        assert method.func is _display, (model, field.name)


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_each_value_shows_the_label_django_would_show(language: str) -> None:
    compared = 0
    with translation.override(language):
        for model, field in displays():
            instance = model()
            # Every choice, a value no choice has (shown as it is), and no value.
            for value in [*dict(field.flatchoices), "not-a-choice", None]:
                setattr(instance, field.attname, value)
                ours = getattr(instance, f"get_{field.name}_display")()
                assert ours == djangos_display(instance, field), (model, field.name, value)
                compared += 1
    assert compared > 300


def test_a_label_is_translated_when_shown_not_when_the_table_is_made() -> None:
    from incidents.models import Incident, Status

    incident = Incident(status=Status.UNDER_REVIEW)
    with translation.override("en"):
        english = incident.get_status_display()
    with translation.override("es"):
        spanish = incident.get_status_display()
    assert english == "Under review"
    assert spanish != english
    assert isinstance(spanish, str)
