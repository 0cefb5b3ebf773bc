"""How fast the worker alerts when many check-ins are missed at once.

Builds a fresh database, starts 1,000 check-ins (each through `check_in_start`, as the form does)
whose deadlines all fall at the same moment, each watched by one colleague with an email address,
and starts `manage.py worker` (one, or more with --workers) pointed at a local SMTP server. When
the deadline passes, every watcher must get exactly one email. Prints the time from the deadline
to each email's arrival (p50, p95, max), the number of emails and of duplicates, and each
worker's peak memory.

    .venv/bin/python benchmarks/checkins_deadlines.py                # Postgres, 1 worker
    .venv/bin/python benchmarks/checkins_deadlines.py --workers 2
    DATABASE_URL=sqlite:////tmp/safespaces_bench.sqlite3 .venv/bin/python benchmarks/...

The database named by DATABASE_URL (default postgres://postgres@127.0.0.1:5432/safespaces_bench)
is dropped and made again: its name must contain "bench", so no other database is ever touched.
Not a test: nothing here fails a build; read the figures.
"""

import argparse
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/safespaces_bench"
USERS = 200  # a large organization (docs: 5-200 users)
WAIT_AT_MOST = 600  # seconds after the deadline before giving up on missing emails


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check-ins", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--lead",
        type=int,
        default=45,
        help="seconds from the start of the run to the deadline, at least; the deadline is the "
        "next whole minute after that, as a time typed in the form would be (default 45)",
    )
    return parser.parse_args()


def recreate(database_url: str) -> None:
    """Drop and create the benchmark database; refuse any database not named for benchmarks."""
    parts = urlsplit(database_url)
    name = unquote(parts.path.lstrip("/"))
    if "bench" not in Path(name).name:
        sys.exit(f"Refusing to drop {name!r}: the benchmark's database name must contain 'bench'.")
    if parts.scheme.startswith("postgres"):
        import psycopg2
        from psycopg2 import sql

        maintenance = psycopg2.connect(
            host=parts.hostname,
            port=parts.port or 5432,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname="postgres",
        )
        maintenance.autocommit = True
        with maintenance.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        maintenance.close()
    elif parts.scheme == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
    else:
        sys.exit(f"Unsupported database: {parts.scheme}")


def ceil_to_minute(moment: datetime) -> datetime:
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def main() -> None:
    options = arguments()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safespaces.settings")
    started = time.monotonic()
    recreate(database_url)

    import django

    django.setup()

    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from checkins.alerts import link_of
    from checkins.models import CheckIn, CheckInEntry
    from checkins.services import check_in_start
    from safespaces.accounts.models import User
    from safespaces.accounts.roles import Role
    from safespaces.notifications.models import Address
    from tests.servers import Mailbox

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Database: {connection.vendor}, migrated in {time.monotonic() - started:.1f} s")

    staff = Group.objects.get(name=Role.STAFF.value)
    users = []
    for n in range(USERS):
        user = User(username=f"bench{n}", display_name=f"Bench person {n}")
        user.set_unusable_password()
        user.save()
        user.groups.add(staff)
        Address.objects.create(user=user, email=f"bench{n}@bench.example")
        users.append(user)

    deadline = ceil_to_minute(timezone.now() + timedelta(seconds=options.lead))
    creating = time.monotonic()
    check_ins = [
        check_in_start(
            person=users[n % USERS],
            activity=f"Outreach round {n}",
            place=None,
            company="",
            due_at=deadline,
            every_minutes=None,
            grace_minutes=0,
            watchers=[users[(n + 1) % USERS]],
            situation=None,
        )
        for n in range(options.check_ins)
    ]
    created_in = time.monotonic() - creating
    print(
        f"Started {len(check_ins)} check-ins in {created_in:.1f} s "
        f"({created_in / len(check_ins) * 1000:.1f} ms each), all due at "
        f"{timezone.localtime(deadline):%H:%M:%S}"
    )
    if timezone.now() >= deadline:
        sys.exit("The deadline passed while the check-ins were being started: raise --lead.")
    expected = {
        (f"bench{(n + 1) % USERS}@bench.example", link_of(check_in))
        for n, check_in in enumerate(check_ins)
    }

    with Mailbox() as mailbox:
        env = {
            **os.environ,
            "EMAIL_URL": mailbox.url,
            "SITE_URL": "https://safespaces.example.org",
            "PYTHONUNBUFFERED": "1",
        }
        logs = Path(tempfile.mkdtemp(prefix="safespaces-bench-"))
        workers = []
        for n in range(options.workers):
            log = (logs / f"worker-{n}.log").open("wb")
            # The worker as `make run` starts it: a poll a second, a random start-up delay.
            command = [sys.executable, "manage.py", "worker", f"--worker-id=bench-{n}"]
            worker = subprocess.Popen(  # noqa: S603 - this project's own manage.py
                command, cwd=PROJECT, env=env, stdout=log, stderr=log
            )
            workers.append(worker)
        print(f"{options.workers} worker(s) started; waiting for the deadline and the emails")
        peaks = [0] * len(workers)
        give_up = deadline.timestamp() + WAIT_AT_MOST
        while time.time() < give_up:
            peaks = [max(peak, peak_rss_kib(w.pid)) for peak, w in zip(peaks, workers, strict=True)]
            if any(w.poll() is not None for w in workers):
                codes = [w.returncode for w in workers]
                sys.exit(f"A worker stopped ({codes}): see the logs in {logs}")
            if len(mailbox.accepted) >= len(expected) and time.time() > deadline.timestamp():
                due = DBTaskResult.objects.ready().count()
                running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
                if not due and not running:
                    break
            time.sleep(0.2)
        # Anything sent twice would arrive now, once the queue is empty.
        time.sleep(2)
        peaks = [max(peak, peak_rss_kib(w.pid)) for peak, w in zip(peaks, workers, strict=True)]
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
        mails = list(mailbox.accepted)

    received: Counter[tuple[str, str]] = Counter()
    for mail in mails:
        text = mail.text()
        links = [link for _, link in expected if link in text]
        received[mail.recipients[0], links[0] if links else "?"] += 1
    latencies = [mail.arrived_at - deadline.timestamp() for mail in mails]
    duplicates = sum(count - 1 for count in received.values())
    missing = len(expected - set(received))
    unexpected = len(set(received) - expected)
    alarms = CheckIn.objects.filter(status=CheckIn.Status.ALARM).count()
    missed_entries = CheckInEntry.objects.filter(kind=CheckInEntry.Kind.MISSED).count()
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count()
    ran_by = Counter(
        result.worker_ids[-1]
        for result in DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    )

    print()
    print(
        f"check-ins missed at once   {len(check_ins)} ({alarms} in alarm, {missed_entries} alerts)"
    )
    print(f"emails received            {len(mails)} (expected {len(expected)})")
    print(f"duplicates                 {duplicates}; missing {missing}; unexpected {unexpected}")
    print(f"failed tasks               {failed}; tasks run by worker {dict(ran_by)}")
    if latencies:
        print(
            "deadline -> email          "
            f"p50 {percentile(latencies, 0.50):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s, first {min(latencies):.2f} s"
        )
        spread = max(latencies) - min(latencies)
        rate = len(mails) / spread if spread else float("inf")
        print(f"throughput                 {rate:.0f} emails/s over {spread:.1f} s")
        print(f"mean                       {statistics.mean(latencies):.2f} s")
    for n, peak in enumerate(peaks):
        print(f"worker bench-{n} peak RSS     {peak / 1024:.0f} MiB")
    ok = len(mails) == len(expected) and not duplicates and not missing and not unexpected
    print("\nOK: every watcher got one email" if ok else "\nNOT OK: see the counts above")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
