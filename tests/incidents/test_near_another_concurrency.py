"""Two transactions log neighbouring incidents at the same moment (Postgres): each looks for the
other before the other commits, so without the triggers' lock neither would be flagged."""

import threading
import time
from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection, transaction

from incidents.models import Incident
from tests.factories import AdversaryFactory, IncidentFactory, PlaceFactory

HOLD = 10.0
# Long enough for the second insert to reach the trigger while the first is still open.
HEAD_START = 0.5

pytestmark = [
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite runs one writing transaction at a time (BEGIN IMMEDIATE)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
]


def in_thread(work: Callable[[], None]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        finally:
            connection.close()  # each thread has a connection of its own

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_neighbours_logged_at_the_same_moment_are_both_flagged() -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    reporter = IncidentFactory().reporter
    started, release = threading.Event(), threading.Event()
    logged: list[Incident] = []

    def log() -> Incident:
        return IncidentFactory(
            place=shelter, source=crew, occurred_on=date(2026, 3, 1), reporter=reporter
        )

    def first() -> None:
        with transaction.atomic():
            logged.append(log())
            started.set()
            release.wait(HOLD)

    def second() -> None:
        with transaction.atomic():
            logged.append(log())

    holder = in_thread(first)
    assert started.wait(HOLD)
    other = in_thread(second)
    time.sleep(HEAD_START)
    release.set()
    holder.join(HOLD)
    other.join(HOLD)

    assert len(logged) == 2
    stored = Incident.objects.filter(pk__in=[i.pk for i in logged]).values_list(
        "near_another", flat=True
    )
    assert list(stored) == [True, True]
