"""Incident.near_another: set by the database for every incident with another at the same place
from the same source within the patterns' window, however the incidents are written, and used by
the patterns to read only those."""

import importlib
from datetime import date, timedelta

import pytest
from django.db import connection

from allies.models import Actor
from incidents.models import Incident
from incidents.patterns import WINDOW, pattern_candidates
from safespaces.places.models import Place
from tests.factories import AdversaryFactory, IncidentFactory, PlaceFactory

migration = importlib.import_module("incidents.migrations.0008_near_another")
DAY = date(2026, 3, 1)

pytestmark = pytest.mark.django_db


def flagged(*incidents: Incident) -> list[bool]:
    """Each incident's flag as stored (not as the object in memory has it)."""
    stored = dict(
        Incident.objects.filter(pk__in=[i.pk for i in incidents]).values_list("id", "near_another")
    )
    return [stored[incident.pk] for incident in incidents]


def place_and_source() -> tuple[Place, Actor]:
    return PlaceFactory(), AdversaryFactory()


def test_the_migration_compares_dates_with_the_patterns_window() -> None:
    # The triggers hold the window in days; a new WINDOW needs a migration that re-creates them.
    assert migration.WINDOW_DAYS == WINDOW.days
    assert timedelta(days=WINDOW.days) == WINDOW


def test_two_incidents_within_the_window_at_one_place_from_one_source_are_both_flagged() -> None:
    shelter, crew = place_and_source()
    first = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    alone = IncidentFactory(place=shelter, source=crew, occurred_on=DAY - timedelta(days=200))
    assert flagged(first) == [False]

    second = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + WINDOW)

    assert flagged(first, second, alone) == [True, True, False]


def test_incidents_a_day_farther_apart_than_the_window_are_not_flagged() -> None:
    shelter, crew = place_and_source()
    first = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    later = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + WINDOW + timedelta(1))
    earlier = IncidentFactory(place=shelter, source=crew, occurred_on=DAY - WINDOW - timedelta(1))

    assert flagged(first, later, earlier) == [False, False, False]


def test_the_same_day_with_another_source_place_or_none_is_not_flagged() -> None:
    shelter, crew = place_and_source()
    first = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    others = [
        IncidentFactory(place=shelter, source=AdversaryFactory(), occurred_on=DAY),
        IncidentFactory(place=PlaceFactory(), source=crew, occurred_on=DAY),
        IncidentFactory(place=shelter, source=None, occurred_on=DAY),
        IncidentFactory(place=None, source=crew, occurred_on=DAY),
        IncidentFactory(place=None, source=None, occurred_on=DAY),
    ]

    assert flagged(first, *others) == [False] * 6


def test_an_incident_of_any_visibility_flags_its_neighbour() -> None:
    shelter, crew = place_and_source()
    seen = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    hidden = IncidentFactory(place=shelter, source=crew, occurred_on=DAY, visibility="named")

    assert flagged(seen, hidden) == [True, True]


def test_an_incident_moved_next_to_another_by_save_flags_both() -> None:
    shelter, crew = place_and_source()
    there = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    moved = IncidentFactory(place=PlaceFactory(), source=crew, occurred_on=DAY - timedelta(400))
    assert flagged(there, moved) == [False, False]

    moved.place = shelter
    moved.occurred_on = DAY - timedelta(days=30)
    moved.save()

    assert flagged(there, moved) == [True, True]


def test_an_incident_moved_next_to_another_by_a_queryset_update_flags_both() -> None:
    shelter, crew = place_and_source()
    there = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    moved = IncidentFactory(place=shelter, source=AdversaryFactory(), occurred_on=DAY)

    Incident.objects.filter(pk=moved.pk).update(source=crew)

    assert flagged(there, moved) == [True, True]


def test_an_incident_whose_date_moves_into_the_window_flags_both() -> None:
    shelter, crew = place_and_source()
    there = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    moved = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=300))

    Incident.objects.filter(pk=moved.pk).update(occurred_on=DAY + timedelta(days=89))

    assert flagged(there, moved) == [True, True]


def test_bulk_create_flags_neighbours_within_the_batch_and_already_stored() -> None:
    shelter, crew = place_and_source()
    stored = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    reporter = stored.reporter
    batch = Incident.objects.bulk_create(
        [
            IncidentFactory.build(
                place=shelter, source=crew, occurred_on=DAY + timedelta(days=d), reporter=reporter
            )
            for d in (60, 400, 450, 700)
        ]
    )

    assert flagged(stored, *batch) == [True, True, True, True, False]


def test_saving_an_object_read_before_its_neighbour_came_keeps_the_flag() -> None:
    shelter, crew = place_and_source()
    stale = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    assert stale.near_another is False  # as read before the neighbour was logged

    stale.severity = 4
    stale.save()  # writes every column, its stale flag too

    assert flagged(stale) == [True]


def test_the_flag_stays_after_the_neighbour_moves_away() -> None:
    shelter, crew = place_and_source()
    stays = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    leaves = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)

    Incident.objects.filter(pk=leaves.pk).update(place=PlaceFactory())

    # A superset the patterns read one row more for; never a neighbour missed.
    assert flagged(stays, leaves) == [True, True]


def test_writing_the_flag_alone_fires_no_trigger() -> None:
    # What the triggers' own UPDATE does: if it fired them again, this would be set back.
    shelter, crew = place_and_source()
    pair = [IncidentFactory(place=shelter, source=crew, occurred_on=DAY) for _ in range(2)]

    Incident.objects.filter(pk=pair[0].pk).update(near_another=False)

    assert flagged(*pair) == [False, True]


def test_the_patterns_read_only_flagged_incidents_within_the_window() -> None:
    shelter, crew = place_and_source()
    three = [IncidentFactory(place=shelter, source=crew, occurred_on=DAY) for _ in range(3)]
    everything = Incident.objects.all()
    assert {row[0] for row in pattern_candidates(everything, WINDOW, [])} == {i.pk for i in three}

    # Cleared behind the triggers' back: only the flag tells the patterns to look at it.
    Incident.objects.filter(pk=three[0].pk).update(near_another=False)

    read = {row[0] for row in pattern_candidates(everything, WINDOW, [])}
    assert read == {three[1].pk, three[2].pk}
    # A window longer than the flag's is not prefiltered.
    longer = {row[0] for row in pattern_candidates(everything, WINDOW * 2, [])}
    assert longer == {i.pk for i in three}


def test_the_migration_flags_the_incidents_already_there() -> None:
    shelter, crew = place_and_source()
    close = [
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=d))
        for d in (0, 90, 500, 500)
    ]
    apart = [
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=d))
        for d in (-91, 181, 900)
    ] + [IncidentFactory(place=None, source=crew, occurred_on=DAY)]
    Incident.objects.update(near_another=False)

    with connection.cursor() as cursor:
        cursor.execute(migration.backfill_statement(connection.vendor))

    assert flagged(*close) == [True] * 4
    assert flagged(*apart) == [False] * 4
