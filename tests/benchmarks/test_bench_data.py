"""The page benchmark's data: as many rows as the proportions say, sealed as the app seals them."""

from collections.abc import Iterator
from typing import Any

import pytest

from allies.models import Actor
from benchmarks.bench_data import Report, generate, scaled
from incidents.demo import STORIES
from incidents.models import EntryKind, Incident, TimelineEntry
from riskassessment.models import Assessment, RiskSituation
from safespaces.accounts.models import User
from safespaces.people.models import Person
from safespaces.places.models import Place
from tests.crypto.support import raw_value

N = 100


@pytest.fixture(scope="module")
def generated(django_db_setup: None, django_db_blocker: Any) -> Iterator[Report]:
    """The bulk for N incidents, built once for the module (the demo's story is left out: it is
    the demo's own, tested there) and removed afterwards."""
    with django_db_blocker.unblock():
        report = generate(N, story=False)
        yield report
        for model in (TimelineEntry, Assessment, RiskSituation, Incident, Person, Actor, Place):
            model.objects.all().delete()
        User.objects.filter(username__startswith="bench-user-").delete()


@pytest.mark.django_db
def test_it_writes_each_table_in_the_proportions_of_a_large_organization(generated: Report) -> None:
    expected = scaled(N)
    assert expected["entries"] == 4 * N
    assert Incident.objects.count() == expected["incidents"] == N
    assert TimelineEntry.objects.count() == expected["entries"]
    assert Actor.objects.count() == expected["actors"]
    assert Person.objects.count() == expected["people"]
    assert Place.objects.count() == expected["places"]
    assert RiskSituation.objects.count() == Assessment.objects.count() == expected["situations"]
    assert User.objects.count() == expected["users"]


@pytest.mark.django_db
def test_its_values_are_sealed_in_the_database_and_open_in_the_app(generated: Report) -> None:
    incident = Incident.objects.order_by("reference").first()
    assert incident is not None
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.NOTE).first()
    entry = entry or TimelineEntry.objects.exclude(kind=EntryKind.LOGGED).first()
    assert entry is not None
    stored = raw_value(Incident, "summary", incident.pk)

    assert incident.summary.startswith(tuple(story.summary for story in STORIES))
    assert "Fictional note" in entry.body
    assert incident.summary.encode() not in stored and b"Fictional" not in stored
