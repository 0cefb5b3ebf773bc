"""Whether audited reads wait on each other, and how their throughput grows with app workers.

On the database the page benchmark built (`make bench`, with the keys it kept in
bench/results/keys-<database>.env), it serves the app with gunicorn once for each worker count
(`--workers`, default 1 2 4 8), and has `--clients` clients (default 8) ask the page benchmark's
incident, an audited page, as fast as it is answered, for `--seconds` each (after a warm-up).
All clients share the demo staff member's session, signed in once through the real forms (the
session lives in the database, so it outlasts each server).

Every 20 ms meanwhile, it asks Postgres which of the database's sessions wait on a lock, and on
what kind (pg_locks beside pg_stat_activity): an advisory lock is the audit trail's sealer, any
other kind a row or a table. It prints, for each worker count: requests a second, the samples
taken, the samples in which a request waited on an advisory lock and on any lock at all.

    .venv/bin/python benchmarks/pages.py --incidents 100000      # once, to build the data
    .venv/bin/python benchmarks/audit_concurrency.py
    .venv/bin/python benchmarks/audit_concurrency.py --workers 2 8 --seconds 30

Writes bench/results/<UTC date-time>-audit.json. Exit status 1 when a request is answered with
anything but 200. Not a test: read the figures, from a quiet machine.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.checkins_deadlines import DEFAULT_DATABASE_URL  # noqa: E402 - after the path
from benchmarks.pages import (  # noqa: E402
    RESULTS,
    STAFF,
    NoRedirects,
    gunicorn,
    server_environment,
    signed_in,
    targets,
)

SAMPLE_EVERY_S = 0.02
WARM_UP_S = 2.0
# Every lock a session of this database waits for, one row per waiting lock.
WAITING = """
    SELECT l.locktype FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE NOT l.granted AND a.datname = current_database()
"""


@dataclass
class Run:
    """What one worker count saw."""

    workers: int
    clients: int
    seconds: float
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    samples: int = 0
    advisory_waits: int = 0  # samples in which some request waited on an advisory lock
    any_waits: int = 0  # samples in which some request waited on any lock

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0, help="timed seconds per run")
    return parser.parse_args()


def ask(base: str, path: str, session: str) -> int:
    """One request with the shared session; a redirect (to sign in again) counts as its status."""
    opener = urllib.request.build_opener(NoRedirects())
    cookie = {"Cookie": f"session={session}"}
    request = urllib.request.Request(base + path, headers=cookie)  # noqa: S310 - our own server
    try:
        with opener.open(request, timeout=120) as answer:
            answer.read()
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def sample_locks(database_url: str, run: Run, stop: threading.Event) -> None:
    """Count the samples with a waiting lock until told to stop, on a connection of its own."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            while not stop.is_set():
                cursor.execute(WAITING)
                kinds = {kind for (kind,) in cursor.fetchall()}
                run.samples += 1
                run.advisory_waits += "advisory" in kinds
                run.any_waits += bool(kinds)
                stop.wait(SAMPLE_EVERY_S)
    finally:
        connection.close()


def measured(base: str, path: str, session: str, run: Run, database_url: str) -> None:
    """The clients ask `path` until the time is up; the sampler watches the locks meanwhile.
    The warm-up's requests start the workers' connections and caches and are not counted."""
    lock = threading.Lock()
    counting = threading.Event()
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            status = ask(base, path, session)
            if counting.is_set() and not stop.is_set():
                with lock:
                    run.requests += 1
                    run.statuses[status] = run.statuses.get(status, 0) + 1

    clients = [threading.Thread(target=client) for _ in range(run.clients)]
    for thread in clients:
        thread.start()
    time.sleep(WARM_UP_S)
    sampler = threading.Thread(target=sample_locks, args=(database_url, run, stop))
    counting.set()
    sampler.start()
    time.sleep(run.seconds)
    stop.set()
    for thread in [*clients, sampler]:
        thread.join()


def main() -> None:
    options = arguments()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    kept = RESULTS / f"keys-{Path(urllib.parse.urlsplit(database_url).path).name}.env"
    if not kept.exists():
        sys.exit(f"No keys at {kept}: build the data first with benchmarks/pages.py (make bench)")
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
            session = session or signed_in(base, STAFF).cookie("session")
            measured(base, path, session, run, database_url)
        runs.append(run)
        print(
            f"{workers} workers: {run.per_second:.1f} requests/s; {run.samples} samples, "
            f"{run.advisory_waits} with a request waiting on an advisory lock, "
            f"{run.any_waits} on any lock; statuses {run.statuses}",
            flush=True,
        )

    print(
        f"\n{options.clients} clients on an audited page (incident detail), {os.cpu_count()} CPUs"
    )
    print("\n| workers | requests/s | samples | waiting on an advisory lock | on any lock |")
    print("|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.workers} | {run.per_second:.1f} | {run.samples} | {run.advisory_waits} "
            f"| {run.any_waits} |"
        )
    results = [{**asdict(run), "per_second": round(run.per_second, 1)} for run in runs]
    meta = {"started": started.isoformat(timespec="seconds"), "cpus": os.cpu_count()}
    (RESULTS / f"{stamp}-audit.json").write_text(
        json.dumps({**meta, "runs": results}, indent=2) + "\n"
    )
    print(f"\nWrote {RESULTS / stamp}-audit.json")
    if any(set(run.statuses) != {200} for run in runs):
        sys.exit("Requests answered with anything but 200: see the statuses above")


if __name__ == "__main__":
    main()
