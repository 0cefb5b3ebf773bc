"""Whether audited reads wait on each other, and how their throughput grows with app workers.

On the database the page benchmark built (`make bench`, with the keys it kept in
bench/results/keys-<database>.env), it serves the app with gunicorn once for each worker count
(`--workers`, default 1 2 3 4 8), and has `--clients` clients (default 8, threads of this
process, on the same machine) ask the page benchmark's incident, an audited page, as fast as it
is answered, for `--seconds` each after a warm-up. All clients share the demo staff member's
session, signed in once through the real forms (the session lives in the database, so it
outlasts each server). Each request adds an event to the database's audit trail, as it would.

Every 20 ms meanwhile, it looks at which of the requests' database sessions wait, and on what
(pg_stat_activity): an advisory lock would be the audit trail's sealer; any lock, a row or a
table as well; an internal lock, Postgres's own (a buffer, the write-ahead log, an index page).
A wait shorter than 20 ms may fall between two samples: the counts bound how much of the time
someone waited, they do not prove nobody ever did. It prints, for each worker count, requests a
second and the samples with a waiting request of each kind.

    .venv/bin/python benchmarks/pages.py --incidents 100000      # once, to build the data
    .venv/bin/python benchmarks/audit_concurrency.py
    .venv/bin/python benchmarks/audit_concurrency.py --workers 2 8 --seconds 30

Writes bench/results/<UTC date-time>-audit.json, and each server's log beside it. Exit status 1
when a request is answered with anything but 200 (or not at all), or nothing was sampled. Not a
test: read the figures, from a quiet machine.
"""

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings  # read once Django is set up, in main

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.checkins_deadlines import DEFAULT_DATABASE_URL  # noqa: E402 - after the path
from benchmarks.pages import (  # noqa: E402
    RESULTS,
    STAFF,
    NoRedirects,
    gunicorn,
    kept_keys,
    server_environment,
    signed_in,
    targets,
)

SAMPLE_EVERY_S = 0.02
WARM_UP_S = 2.0
JOIN_TIMEOUT_S = 130  # longer than a request's own timeout
# The requests' database sessions that wait, right now, on a lock ('Lock': a row, a table, or an
# advisory lock such as the audit sealer's) or on one of Postgres's internal locks ('LWLock': a
# buffer, the write-ahead log, an index page). pg_stat_activity rather than pg_locks, which the
# Postgres manual warns is costly to read this often, and which shows no internal lock.
WAITING = """
    SELECT wait_event_type, wait_event FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend'
        AND pid <> pg_backend_pid() AND wait_event_type IN ('Lock', 'LWLock')
"""


@dataclass
class Run:
    """What one worker count saw. A sample is one look at the database, 20 ms apart: a wait
    shorter than that may fall between two."""

    workers: int
    clients: int
    seconds: float  # asked for
    elapsed: float = 0.0  # the counted window as it was
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)  # 0: no answer (refused, timed out)
    samples: int = 0
    advisory: int = 0  # samples in which a request waited on an advisory lock
    locks: int = 0  # on any lock: a row, a table, an advisory lock
    internal: int = 0  # on one of Postgres's internal locks
    waited_on: dict[str, int] = field(default_factory=dict)  # each lock's samples, by its name

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3, 4, 8])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="timed seconds per run")
    return parser.parse_args()


def ask(opener: urllib.request.OpenerDirector, url: str, session: str) -> int:
    """One request with the shared session: its status, a redirect (to sign in again) included,
    or 0 when none came (refused, reset, timed out), which fails the run as any other."""
    cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"}
    request = urllib.request.Request(url, headers=cookie)  # noqa: S310 - our own server
    try:
        with opener.open(request, timeout=120) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, http.client.HTTPException):
        return 0


def sample_locks(database_url: str, run: Run, stop: threading.Event) -> None:
    """Count the samples with a waiting request until told to stop, on a connection of its own."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(WAITING)
                waits = set(cursor.fetchall())
                run.samples += 1
                run.advisory += ("Lock", "advisory") in waits
                run.locks += any(kind == "Lock" for kind, _ in waits)
                run.internal += any(kind == "LWLock" for kind, _ in waits)
                for _, name in waits:
                    run.waited_on[name] = run.waited_on.get(name, 0) + 1
                stop.wait(SAMPLE_EVERY_S)
    finally:
        connection.close()


def measured(base: str, path: str, session: str, run: Run, database_url: str) -> None:
    """The clients ask `path` until the time is up; the sampler watches the waits meanwhile.
    Requests answered during the warm-up (which starts the workers' connections and caches) or
    after the time is up are not counted. A thread's failure is raised here, after all stop."""
    lock = threading.Lock()
    counting = threading.Event()
    stop = threading.Event()
    failures: list[BaseException] = []

    def client() -> None:
        opener = urllib.request.build_opener(NoRedirects())
        while not stop.is_set():
            status = ask(opener, base + path, session)
            if counting.is_set() and not stop.is_set():
                with lock:
                    run.requests += 1
                    run.statuses[status] = run.statuses.get(status, 0) + 1

    def sampler() -> None:
        try:
            sample_locks(database_url, run, stop)
        except Exception as error:  # noqa: BLE001 - raised again once the threads have stopped
            failures.append(error)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(run.clients)]
    threads.append(threading.Thread(target=sampler, daemon=True))
    started = 0.0
    try:
        for thread in threads[:-1]:
            thread.start()
        time.sleep(WARM_UP_S)
        counting.set()
        started = time.monotonic()
        threads[-1].start()
        time.sleep(run.seconds)
    finally:
        # Also when stopped from outside: no thread may keep the process (or a connection) alive.
        stop.set()
        run.elapsed = time.monotonic() - started if started else 0.0
        for thread in threads:
            if thread.is_alive():
                thread.join(JOIN_TIMEOUT_S)
    if failures:
        raise failures[0]


def main() -> None:
    options = arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    keys = kept_keys(database_url)
    if not keys.exists():
        sys.exit(f"No keys at {keys}: build the data first (make bench)")
    env = server_environment(database_url, reuse=True)
    os.environ.update(env)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    path = f"/incidents/{targets()['incident']}/"
    connections.close_all()

    started = datetime.now(UTC)
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    runs = []
    session = ""
    for workers in options.workers:
        run = Run(workers=workers, clients=options.clients, seconds=options.seconds)
        log = RESULTS / f"{stamp}-audit-{workers}-gunicorn.log"
        with gunicorn(env, workers, log) as base:
            # Once: an authenticator code is accepted once, and the next comes 30 s later.
            session = session or signed_in(base, STAFF).session()
            measured(base, path, session, run, database_url)
        runs.append(run)
        print(
            f"{workers} workers: {run.requests} requests, statuses {run.statuses}; "
            f"waited on {run.waited_on or 'nothing'}",
            flush=True,
        )

    print(
        f"\n{options.clients} clients on an audited page (incident detail) as one person, beside "
        f"the server on the same {os.cpu_count()} CPUs; a sample every {SAMPLE_EVERY_S * 1000:.0f} "
        "ms of the requests waiting\n"
    )
    print("| workers | requests/s | samples | waiting on: an advisory lock | any lock | internal |")
    print("|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.workers} | {run.per_second:.1f} | {run.samples} | {run.advisory} "
            f"| {run.locks} | {run.internal} |"
        )
    results = [{**asdict(run), "per_second": round(run.per_second, 1)} for run in runs]
    meta = {"started": started.isoformat(timespec="seconds"), "cpus": os.cpu_count()}
    (RESULTS / f"{stamp}-audit.json").write_text(
        json.dumps({**meta, "runs": results}, indent=2) + "\n"
    )
    print(f"\nWrote {RESULTS / stamp}-audit.json and the servers' logs beside it")
    if any(set(run.statuses) != {200} for run in runs):
        sys.exit("Requests answered with anything but 200, or not at all (0): see above")
    if any(run.samples == 0 for run in runs):
        sys.exit("The waits were not sampled")


if __name__ == "__main__":
    main()
