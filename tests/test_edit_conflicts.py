"""Every edit page merges two people's edits of one record: what each changed survives, and
nothing needs a choice where they changed different fields."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models
from django.test import Client

from safespaces.accounts.models import User
from tests.browsing import form_as_sent
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    MeasureFactory,
    PersonFactory,
    PlaceFactory,
    RiskSituationFactory,
    UserFactory,
)

# The record, its edit page, and one field each editor changes, with the value typed.
CASES: dict[str, tuple[Callable[[], Any], str, tuple[str, str], tuple[str, str]]] = {
    "place": (PlaceFactory, "/places/{}/edit/", ("name", "Willow Two"), ("notes", "Back gate")),
    "actor": (ActorFactory, "/allies/{}/edit/", ("name", "Harbour Two"), ("notes", "New number")),
    "person": (
        PersonFactory,
        "/people/{}/edit/",
        ("alias", "Heron Two"),
        ("relation", "volunteer"),
    ),
    "situation": (
        RiskSituationFactory,
        "/risks/{}/edit/",
        ("title", "Friday outreach"),
        ("objective", "Offer a way out."),
    ),
    "measure": (
        MeasureFactory,
        "/risks/measures/{}/edit/",
        ("description", "Go in pairs."),
        ("status", "done"),
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_edits_of_different_fields_by_two_people_both_survive(coordinator: User, kind: str) -> None:
    factory, address, (field_a, value_a), (field_b, value_b) = CASES[kind]
    record: models.Model = factory()
    url = address.format(record.pk)
    other = UserFactory(username="noor", display_name="Noor", role=coordinator.role)
    a, b = sign_in(Client(), coordinator), sign_in(Client(), other)
    form_a = form_as_sent(a.get(url).content)
    form_b = form_as_sent(b.get(url).content)
    assert a.post(url, {**form_a, field_a: [value_a]}).status_code == 302

    conflict = b.post(url, {**form_b, field_b: [value_b]})

    assert conflict.status_code == 200
    shown = form_as_sent(conflict.content)
    assert shown["conflicts"] == [""]  # nothing to choose: they changed different fields
    assert (shown[field_a], shown[field_b]) == ([value_a], [value_b])
    assert b.post(url, shown).status_code == 302
    stored = type(record)._default_manager.get(pk=record.pk)
    assert (getattr(stored, field_a), getattr(stored, field_b)) == (value_a, value_b)
    assert stored.version == record.version + 2
