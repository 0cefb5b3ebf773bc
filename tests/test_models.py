from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from safespaces.editing import VersionedModelForm
from safespaces.models import CodedModel, VersionedModel, factor_labels


def subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(subclasses(sub) for sub in found))


@pytest.mark.django_db
def test_the_shared_fields_need_no_migration() -> None:
    out = StringIO()

    call_command("makemigrations", "--check", "--dry-run", stdout=out)

    assert out.getvalue().strip() == "No changes detected"


def test_every_edit_form_edits_a_versioned_model() -> None:
    # save_if_unchanged reads and bumps `version`: a form over any other model could not save.
    import_module(settings.ROOT_URLCONF)  # imports every view, and so every form
    forms = subclasses(VersionedModelForm)

    assert {form.__name__ for form in forms} >= {"PlaceForm", "PersonForm", "IncidentForm"}
    for form in forms:
        assert issubclass(form._meta.model, VersionedModel), form.__name__


# Bookkeeping no page, link, form or export names, keyed by the month it counts changes of
# (incidents.monthly).
NEVER_NAMED = {"MonthRevision"}


def test_every_record_of_the_apps_has_a_random_code() -> None:
    sequential = [
        model.__name__
        for app in ("places", "people", "incidents", "allies", "riskassessment", "drafts")
        for model in apps.get_app_config(app).get_models()
        if not issubclass(model, CodedModel)
    ]

    assert set(sequential) == NEVER_NAMED


def test_factor_labels_keep_the_order_leave_out_an_old_code_and_follow_the_language() -> None:
    codes = ["survivor", "no-longer-a-factor", "gender"]
    with translation.override("en"):
        assert factor_labels(codes) == ["Survivor status", "Gender"]
    with translation.override("es"):
        assert factor_labels(codes) == ["Condición de sobreviviente", "Género"]
