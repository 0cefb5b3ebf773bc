"""Two transactions log neighbouring incidents at the same moment (Postgres): each looks for the
other before the other commits, so without the triggers' lock neither would be flagged."""

import threading
import time
from datetime import date

from django.db import connection, transaction

from incidents.models import Incident
from tests.factories import AdversaryFactory, IncidentFactory, PlaceFactory
from tests.postgres import committing_on_postgres
from tests.threads import in_thread

HOLD = 10.0

pytestmark = committing_on_postgres(
    "SQLite runs one writing transaction at a time (BEGIN IMMEDIATE)"
)


def waits_for_an_advisory_lock() -> bool:
    """Whether a transaction waits for one of the triggers' locks."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        (waiting,) = cursor.fetchone()
    return bool(waiting)


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
    # The second insert reaches the trigger while the first is still open, and waits for it.
    deadline = time.monotonic() + HOLD
    while not waits_for_an_advisory_lock():
        assert time.monotonic() < deadline, "the second transaction never waited for the first"
        time.sleep(0.01)
    release.set()
    holder.join(HOLD)
    other.join(HOLD)

    assert len(logged) == 2
    stored = Incident.objects.filter(pk__in=[i.pk for i in logged]).values_list(
        "near_another", flat=True
    )
    assert list(stored) == [True, True]
