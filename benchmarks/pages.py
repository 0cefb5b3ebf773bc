"""How fast each page answers at the size of a large organization, next to the Django admin.

Builds a fresh database, fills it with fictional data for N incidents (benchmarks/bench_data.py:
per 100,000 incidents 400,000 timeline entries, 1,000 actors, 5,000 people, 200 places, 2,000
situations, 50 users), serves the app with gunicorn (2 workers, DEBUG off, as in production but
over plain HTTP on 127.0.0.1), signs the demo's administrator, coordinator and staff member in
through the real forms (password, then a TOTP code), and asks each page of the table in PAGES
20 times after 2 warm-ups, every page in turn in each round. Then it asks each page once more in
this process, with Django's test client on the same database and the same sessions, to count the
queries and the values decrypted.

    make bench N=100000
    .venv/bin/python benchmarks/pages.py --incidents 2000 --requests 20

Writes bench/results/<UTC date-time>.json and .md. The database named by DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/safespaces_bench) is dropped and made again: its name must
contain "bench". Exit status 1 when a page answers anything but 200. Not a test: read the figures.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path
from typing import TYPE_CHECKING, Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.checkins_deadlines import (  # noqa: E402 - after the path is set
    DEFAULT_DATABASE_URL,
    percentile,
    recreate,
)

if TYPE_CHECKING:
    from benchmarks.bench_data import Report

RESULTS = PROJECT / "bench" / "results"
ADMIN_CHANGELIST = "Django admin incident changelist"


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # may hold {incident}, {deep}, {person}, {situation}
    persona: str  # a demo login (safespaces/demo.py)


ADMIN, COORDINATOR, STAFF = "demo-admin", "demo-coordinator", "demo-staff"
PAGES = [
    Page("log an incident (form)", "/incidents/new/", STAFF),
    Page("actor map", "/allies/map/", COORDINATOR),
    Page("risk register", "/risks/", COORDINATOR),
    Page("home (coordinator)", "/", COORDINATOR),
    Page("patterns", "/incidents/patterns/", COORDINATOR),
    Page("trends", "/incidents/trends/", COORDINATOR),
    Page("actor list", "/allies/", COORDINATOR),
    # The timeline pages by the incident at a page's edge: this one is among the oldest.
    Page("incident list, last page (staff)", "/incidents/?older={deep}", STAFF),
    Page("incident list (staff)", "/incidents/", STAFF),
    Page("incident list (admin)", "/incidents/", ADMIN),
    Page("incident detail", "/incidents/{incident}/", STAFF),
    Page("people list", "/people/", STAFF),
    Page("a person", "/people/{person}/", STAFF),
    Page("a situation", "/risks/{situation}/", COORDINATOR),
    Page("safety plan", "/risks/{situation}/plan/", COORDINATOR),
    Page("directory", "/allies/directory/", STAFF),
    Page(ADMIN_CHANGELIST, "/admin/incidents/incident/", ADMIN),
]


@dataclass
class Result:
    page: str
    persona: str
    p50_ms: float
    p95_ms: float
    ratio_to_admin: float
    html_bytes: int
    queries: int
    decrypted: int
    statuses: list[int]


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warm-ups", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the database a previous run built (migrated forward) instead of a new one",
    )
    return parser.parse_args()


def kept_keys(database_url: str) -> Path:
    """Where the keys of the benchmark database at `database_url` are kept. One file per
    database: the CI smoke run's database must not take another's keys."""
    return RESULTS / f"keys-{Path(urllib.parse.urlsplit(database_url).path).name}.env"


def server_environment(database_url: str, *, reuse: bool) -> dict[str, str]:
    """Production settings over plain HTTP on this machine: DEBUG off, fresh keys, hashed static
    files; cookies without the Secure flag and no HTTPS redirect, since there is no TLS here.

    The keys are kept beside the results (git-ignored, fictional data only), so that `--reuse`
    can open what an earlier run sealed."""
    from safespaces.crypto.keys import fresh_environment

    kept = kept_keys(database_url)
    if not (reuse and kept.exists()):
        RESULTS.mkdir(parents=True, exist_ok=True)
        kept.write_text(fresh_environment())
    keys = dict(line.split("=", 1) for line in kept.read_text().splitlines() if "=" in line)
    return {
        **keys,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "safespaces.settings",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "WORKER_HEALTH_CHECKS": "false",
        "PYTHONUNBUFFERED": "1",
    }


class Browser:
    """Cookies and forms over HTTP, redirects not followed."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )

    def get(self, path: str) -> tuple[int, bytes]:
        return self.send(path, None)

    def send(self, path: str, form: dict[str, str] | None) -> tuple[int, bytes]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=120) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def post_form(self, path: str, **fields: str) -> int:
        status, page = self.get(path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            sys.exit(f"No form at {path}: status {status}")
        return self.send(path, {"csrfmiddlewaretoken": token.group(1).decode(), **fields})[0]

    def session(self) -> str:
        """The session's key, from the cookie the settings name."""
        from django.conf import settings

        name = settings.SESSION_COOKIE_NAME
        return next(cookie.value or "" for cookie in self.cookies if cookie.name == name)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def signed_in(base: str, username: str) -> Browser:
    """Through the real forms: the password, then the authenticator's current code."""
    from django_otp.oath import totp

    from benchmarks.bench_data import PASSWORD, TOTP_KEY

    browser = Browser(base)
    if browser.post_form("/login/", username=username, password=PASSWORD) != 302:
        sys.exit(f"{username}: the password was refused")
    for attempt in range(2):
        code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
        if browser.post_form("/login/verify/", code=code) == 302:
            return browser
        if attempt == 0:
            # A code is accepted once: a run started within the same 30 seconds as the last one
            # (`--reuse`, twice in a row) finds its code used. The next one will do.
            time.sleep(30 - time.time() % 30 + 1)
    sys.exit(f"{username}: the second factor was refused")


@contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path) -> Iterator[str]:
    from tests.servers import free_port

    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "gunicorn", "safespaces.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--timeout", "300",
             "--config", "python:safespaces.gunicorn_config"],  # as `safespaces serve` runs it
            cwd=PROJECT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.05)
        else:
            sys.exit(f"gunicorn did not serve:\n{log.read_text()}")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def targets() -> dict[str, str]:
    """The records the pages open: an incident the whole team sees, with the most entries of
    its kind; one near the end of the timeline; a person named in incidents; a situation of the
    demo with measures."""
    from django.db.models import Count

    from incidents.models import Incident, Visibility
    from incidents.timeline import OLDEST_FIRST, PAGE_SIZE
    from riskassessment.models import RiskSituation
    from safespaces.people.models import Person

    incident = (
        Incident.objects.filter(visibility=Visibility.TEAM)
        .annotate(entry_count=Count("entries"))
        .order_by("-entry_count", "-occurred_on")
        .first()
    )
    person = Person.objects.filter(erased_at__isnull=True, archived_at__isnull=True).first()
    situation = (
        RiskSituation.objects.annotate(measure_count=Count("measures"))
        .order_by("-measure_count", "created_at")
        .first()
    )
    # The edge of the timeline's last page: a page older than it is the oldest there is.
    deep = (
        Incident.objects.filter(visibility=Visibility.TEAM)
        .order_by(*OLDEST_FIRST)[PAGE_SIZE : PAGE_SIZE + 1]
        .first()
    )
    assert incident and person and situation, "the generator made no incident, person or situation"
    deep = deep or incident
    return {
        "incident": str(incident.pk),
        "deep": str(deep.pk),
        "person": str(person.pk),
        "situation": str(situation.pk),
    }


@dataclass
class Timed:
    """What the timed requests of one page saw: milliseconds each, the HTML's size, statuses."""

    times: list[float] = field(default_factory=list)
    size: int = 0
    statuses: list[int] = field(default_factory=list)


def timed_in_turns(pages: list[tuple[Browser, str]], warm_ups: int, requests: int) -> list[Timed]:
    """Every page once per round, in turns, rather than each page's requests in a row: a busy
    moment on the machine (a checkpoint, another program) then weighs on every page and on the
    admin changelist they are compared with, not on whichever page it happened to fall on."""
    seen = [Timed() for _ in pages]
    for n in range(warm_ups + requests):
        for (browser, path), timed in zip(pages, seen, strict=True):
            started = time.perf_counter()
            status, body = browser.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            timed.statuses.append(status)
            timed.size = len(body)
            if n >= warm_ups:
                timed.times.append(elapsed)
    return seen


def counted(session_key: str, path: str) -> tuple[int, int, int]:
    """Queries and values decrypted for one request, in this process with Django's test client
    and the same session: the served app carries no counting code at all, so nothing of this can
    be switched on in production. The second of two requests counts, as the timed ones are warm."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from safespaces.crypto.fields import EncryptedMixin

    queries = 0
    decrypted = 0
    opening = EncryptedMixin.open_value

    def count_query(execute: Callable[..., Any], *args: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(*args)

    def count_opening(self: EncryptedMixin, *args: Any) -> Any:
        nonlocal decrypted
        decrypted += 1
        return opening(self, *args)

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    client.get(path)
    queries = decrypted = 0
    EncryptedMixin.open_value = count_opening  # type: ignore[method-assign, assignment]
    try:
        with connection.execute_wrapper(count_query):
            status = client.get(path).status_code
    finally:
        EncryptedMixin.open_value = opening  # type: ignore[method-assign]
    return queries, decrypted, status


def markdown(results: list[Result], meta: dict[str, Any]) -> str:
    lines = [
        f"# Pages at {meta['incidents']:,} incidents ({meta['started']})",
        "",
        f"Rows: {', '.join(f'{k} {v:,}' for k, v in meta['rows'].items())}. "
        f"The demo's story in {meta['story_s']:.0f} s, then the bulk in "
        f"{meta['generation_s']:.0f} s ({meta['rows_per_s']:,.0f} rows/s). "
        f"gunicorn {meta['workers']} workers; {meta['requests']} requests per page after "
        f"{meta['warm_ups']} warm-ups; database {meta['database']}.",
        "",
        "| page | as | p50 ms | p95 ms | p95 vs admin | HTML KB | queries | values decrypted |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.page} | {r.persona} | {r.p50_ms:,.0f} | {r.p95_ms:,.0f} | "
            f"{r.ratio_to_admin:.1f}x | {r.html_bytes / 1024:,.0f} | {r.queries} | "
            f"{r.decrypted:,} |"
        )
    return "\n".join(lines) + "\n"


def rows_present() -> "Report":
    """What an earlier run left in the database, for `--reuse`'s table (no generation time)."""
    from allies.models import Actor
    from benchmarks.bench_data import Report
    from incidents.models import Incident
    from riskassessment.models import RiskSituation
    from safespaces.people.models import Person

    return Report(
        rows={
            "incidents": Incident.objects.count(),
            "people": Person.objects.count(),
            "actors": Actor.objects.count(),
            "situations": RiskSituation.objects.count(),
        }
    )


def recurring_upkeep() -> int:
    """What the worker's recurring tasks would have done by now in a running organization, where
    the bulk would have been written over months: fold the changes to each month's incidents
    (incidents.monthly), as its hourly task does. Unfolded, the trends would add up 100,000
    changes on every request, which only the hour after a bulk import ever sees."""
    from incidents.monthly import month_changes_fold

    return month_changes_fold()


def settled_database() -> None:
    """VACUUM ANALYZE, as autovacuum would have done in a running organization: rows loaded in
    bulk a moment ago have no statistics yet, and Postgres would plan every page blind.

    Then a CHECKPOINT: at 100,000 incidents the bulk leaves hundreds of megabytes written but
    not yet on disk, which Postgres's next checkpoint would otherwise flush over the following
    minutes, across the timed requests. A running organization's writes are a trickle; the
    timings should not carry the bulk's. CHECKPOINT needs a superuser or the pg_checkpoint role:
    without either, the run goes on and says so."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError as error:
            print(f"No CHECKPOINT ({error}): the bulk's pages may be written during the timings")


def main() -> None:
    options = arguments()
    # Stopped from outside: still stop the server (the `finally` in `gunicorn`).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = datetime.now(UTC)
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    env = server_environment(database_url, reuse=options.reuse)
    os.environ.update(env)
    clock = time.monotonic()
    if not options.reuse:
        recreate(database_url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from benchmarks.bench_data import generate

    call_command("migrate", interactive=False, verbosity=0)
    print(f"Migrated in {time.monotonic() - clock:.1f} s; data for {options.incidents:,} incidents")
    if options.reuse:
        report = rows_present()
        print(f"Reusing the data already in the database: {report.rows}")
    else:
        report = generate(options.incidents)
        print(f"The demo's story in {report.story_seconds:.1f} s; the bulk: "
              f"{sum(report.rows.values()):,} rows in {report.seconds:.1f} s "
              f"({report.rows_per_second:,.0f} rows/s)")  # fmt: skip
    clock = time.monotonic()
    folded = recurring_upkeep()
    print(f"{folded:,} incident changes folded in {time.monotonic() - clock:.1f} s")
    clock = time.monotonic()
    settled_database()
    print(f"Vacuumed, analysed and checkpointed in {time.monotonic() - clock:.1f} s")
    clock = time.monotonic()
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"Static files collected in {time.monotonic() - clock:.1f} s")
    codes = targets()
    connections.close_all()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y-%m-%dT%H%M%SZ")
    sessions: dict[str, str] = {}
    with gunicorn(env, options.workers, RESULTS / f"{stamp}-gunicorn.log") as base:
        browsers = {login: signed_in(base, login) for login in (ADMIN, COORDINATOR, STAFF)}
        asked = [(browsers[page.persona], page.path.format(**codes)) for page in PAGES]
        measured = list(
            zip(PAGES, timed_in_turns(asked, options.warm_ups, options.requests), strict=True)
        )
        sessions = {login: browser.session() for login, browser in browsers.items()}

    admin_p95 = next(percentile(t.times, 0.95) for p, t in measured if p.name == ADMIN_CHANGELIST)
    results = []
    for page, timed in measured:
        queries, decrypted, status = counted(sessions[page.persona], page.path.format(**codes))
        p95 = percentile(timed.times, 0.95)
        results.append(
            Result(
                page=page.name,
                persona=page.persona.removeprefix("demo-"),
                p50_ms=round(statistics.median(timed.times), 1),
                p95_ms=round(p95, 1),
                ratio_to_admin=round(p95 / admin_p95, 2),
                html_bytes=timed.size,
                queries=queries,
                decrypted=decrypted,
                statuses=sorted({*timed.statuses, status}),
            )
        )
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "incidents": options.incidents,
        "rows": report.rows,
        "story_s": round(report.story_seconds, 1),
        "generation_s": round(report.seconds, 1),
        "rows_per_s": round(report.rows_per_second),
        "workers": options.workers,
        "requests": options.requests,
        "warm_ups": options.warm_ups,
        "database": connections["default"].vendor,
    }
    (RESULTS / f"{stamp}.json").write_text(
        json.dumps({**meta, "pages": [asdict(r) for r in results]}, indent=2) + "\n"
    )
    table = markdown(results, meta)
    (RESULTS / f"{stamp}.md").write_text(table)
    print("\n" + table)
    print(f"Wrote {RESULTS / stamp}.json and .md")
    failed = [r.page for r in results if r.statuses != [200]]
    if failed:
        sys.exit(f"Pages that answered anything but 200: {', '.join(failed)}")


if __name__ == "__main__":
    main()
