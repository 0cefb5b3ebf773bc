"""The audit concurrency benchmark's sampler sees a request waiting on a lock, and only then."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import pytest
from django.db import connection
from psycopg2.extensions import make_dsn

from benchmarks.audit_concurrency import Run, sample_locks

pytestmark = [
    pytest.mark.skipif(connection.vendor == "sqlite", reason="pg_stat_activity is Postgres's"),
    # For the test database's name in settings_dict; the connections here are the test's own.
    pytest.mark.django_db,
]
LOCK = 4242
WAIT_S = 10


def database_of_tests() -> str:
    """The test database's address, as the benchmark takes the benchmark database's."""
    settings = connection.settings_dict
    return make_dsn(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


def sampled(database_url: str, samples: int = 3) -> Run:
    """At least `samples` samples of the waits right now."""
    run = Run(workers=0, clients=0, seconds=0)
    stop = threading.Event()
    sampler = threading.Thread(target=sample_locks, args=(database_url, run, stop))
    sampler.start()
    deadline = time.monotonic() + WAIT_S
    while run.samples < samples and sampler.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # polling the sampler's count, not waiting for the clock
    stop.set()
    sampler.join(WAIT_S)
    assert run.samples >= samples
    return run


@contextmanager
def waiting_on_an_advisory_lock(database_url: str) -> Iterator[None]:
    """One connection holds an advisory lock while another waits for it, until the block ends."""
    holder = psycopg2.connect(database_url)
    try:
        waiter = psycopg2.connect(database_url)
        try:
            holder.autocommit = waiter.autocommit = True
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
            waiting = threading.Thread(
                target=lambda: waiter.cursor().execute("SELECT pg_advisory_lock(%s)", [LOCK])
            )
            waiting.start()
            try:
                with holder.cursor() as cursor:
                    deadline = time.monotonic() + WAIT_S
                    blocked = False
                    while not blocked and time.monotonic() < deadline:
                        time.sleep(0.01)  # polling the waiter's state, as above
                        cursor.execute(
                            "SELECT cardinality(pg_blocking_pids(%s))", [waiter.get_backend_pid()]
                        )
                        blocked = bool(cursor.fetchone()[0])
                assert blocked, "the second connection never waited for the lock"
                yield
            finally:
                with holder.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
                waiting.join(WAIT_S)
        finally:
            waiter.close()
    finally:
        holder.close()


def test_a_request_waiting_on_an_advisory_lock_is_in_every_sample() -> None:
    database_url = database_of_tests()
    with waiting_on_an_advisory_lock(database_url):
        run = sampled(database_url)
    assert run.advisory == run.locks == run.samples


def test_no_sample_counts_a_wait_when_nobody_waits() -> None:
    run = sampled(database_of_tests())
    assert run.advisory == run.locks == 0
