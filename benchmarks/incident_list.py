"""How fast the incident timeline's queries run with many incidents.

Builds a database of fictional incidents (bulk-created through the real encryption path) seen by
50 users, then prints Postgres's EXPLAIN ANALYZE execution time of what the timeline asks for a
staff member, a coordinator and an administrator: the count, the first page and a deep page.

    .venv/bin/python benchmarks/incident_list.py --incidents 100000
    .venv/bin/python benchmarks/incident_list.py --reuse      # measure again, same data

The database named by DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
safespaces_bench_lists) is dropped and made again unless --reuse: its name must contain "bench",
so no other database is ever touched. Not a test: read the figures.
"""

import argparse
import os
import random
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from benchmarks.checkins_deadlines import recreate  # noqa: E402 - after the path is set

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/safespaces_bench_lists"
USERS = 50
PLACES = 200
BATCH = 2000
RUNS = 5


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run")
    parser.add_argument(
        "--situations", type=int, default=0, help="add this many risk situations, then measure"
    )
    return parser.parse_args()


def build(count: int) -> None:
    """Users of every role, places, and `count` incidents: most for the team, some for
    coordinators, a tenth shared with two named colleagues."""
    from django.contrib.auth.models import Group

    from incidents.models import Incident
    from safespaces.accounts.models import User
    from safespaces.accounts.roles import Role
    from safespaces.places.models import Place

    users = []
    for n in range(USERS):
        role = Role.ADMINISTRATOR if n == 0 else Role.COORDINATOR if n < 6 else Role.STAFF
        user = User(username=f"bench{n}", display_name=f"Bench person {n}")
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        users.append(user)
    places = Place.objects.bulk_create(
        Place(kind="shelter", name=f"Bench house {n}", address="1 Bench Lane")
        for n in range(PLACES)
    )
    shares = Incident.shared_with.through
    chance = random.Random(17)  # noqa: S311 - fictional data, the same on every run
    started, first_day = time.monotonic(), date(2016, 1, 1)
    for start in range(0, count, BATCH):
        batch = []
        for n in range(start, min(count, start + BATCH)):
            roll = chance.random()
            visibility = "team" if roll < 0.7 else "coordinators" if roll < 0.9 else "named"
            batch.append(
                Incident(
                    reference=f"INC-B{n:07d}",
                    kind="threat",
                    category="surveillance",
                    occurred_on=first_day + timedelta(days=chance.randrange(3650)),
                    place=chance.choice(places),
                    summary=f"Bench incident {n}",
                    description="Followed after outreach.",
                    severity=chance.randint(1, 5),
                    visibility=visibility,
                    reporter=chance.choice(users),
                )
            )
        Incident.objects.bulk_create(batch)
        named = [incident for incident in batch if incident.visibility == "named"]
        shares.objects.bulk_create(
            shares(incident_id=incident.pk, user_id=user.pk)
            for incident in named
            for user in chance.sample(users, 2)
        )
        print(f"\r{start + len(batch)} incidents, {time.monotonic() - started:.0f} s", end="")
    print()


def build_situations(count: int) -> None:
    """Risk situations at the places, each assessed twice over the last two years with a threat
    from an actor and a linked incident. Incidents are dated as logged on the day they happened,
    so some situations are due and some not."""
    from django.db import connection

    from allies.models import Actor
    from incidents.models import Incident
    from riskassessment.models import Assessment, RiskSituation, Threat
    from safespaces.accounts.models import User
    from safespaces.places.models import Place

    with connection.cursor() as cursor:
        cursor.execute("UPDATE incidents_incident SET created_at = occurred_on + time '12:00'")
    chance = random.Random(18)  # noqa: S311 - fictional data, the same on every run
    places = list(Place.objects.all())
    coordinator = User.objects.get(username="bench1")
    actors = Actor.objects.bulk_create(
        Actor(kind="group", sector="police", stance="adversary", power=3, name=f"Bench group {n}")
        for n in range(100)
    )
    incidents = list(Incident.objects.values_list("pk", flat=True)[:count])
    situations = RiskSituation.objects.bulk_create(
        RiskSituation(
            kind="outreach",
            title=f"Bench situation {n}",
            objective="Reach people.",
            place=chance.choice(places),
            created_by=coordinator,
        )
        for n in range(count)
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(
            situation=situation,
            number=number,
            trigger="before",
            threat=3,
            vulnerability=3,
            capacity=2,
            inherent_level=chance.randint(1, 4),
            residual_level=chance.randint(1, 4),
            created_by=coordinator,
        )
        for situation in situations
        for number in (1, 2)
    )
    Threat.objects.bulk_create(
        Threat(
            assessment=assessment,
            description="Followed home.",
            likelihood=3,
            impact=3,
            source=chance.choice(actors),
        )
        for assessment in assessments
    )
    RiskSituation.incidents.through.objects.bulk_create(
        RiskSituation.incidents.through(risksituation_id=situation.pk, incident_id=incident)
        for situation, incident in zip(situations, incidents, strict=False)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE riskassessment_assessment SET created_at = now() - "
            "(random() * 730 || ' days')::interval"
        )


def measure_register() -> None:
    """The register's page and count, its due filter, and the home page's few due."""
    from riskassessment.models import RiskSituation
    from riskassessment.selectors import register_of, with_due_flag
    from safespaces.accounts.models import User

    user = User.objects.get(username="bench1")
    situations = register_of(user).filter(status=RiskSituation.Status.CURRENT)
    if not situations.exists():
        return
    due = with_due_flag(situations, user).filter(is_due=True)
    print(f"register: {situations.count()} current situations, {due.count()} due")
    print(f"  page             {execution_ms(situations[:25]):8.1f} ms")
    print(f"  count            {count_ms(situations):8.1f} ms")
    print(f"  due, page        {execution_ms(due[:25]):8.1f} ms")
    print(f"  due, count       {count_ms(due):8.1f} ms")
    print(f"  home's six due   {execution_ms(due[:6]):8.1f} ms")


def execution_ms(queryset: Any) -> float:
    """The best of a few EXPLAIN ANALYZE runs: the server's own time, without the network."""
    times = []
    for _ in range(RUNS):
        plan = queryset.explain(analyze=True)
        times.append(float(re.findall(r"Execution Time: ([\d.]+) ms", plan)[0]))
    return min(times)


def measure() -> None:
    from django.db import connection

    from incidents.models import Incident
    from incidents.selectors import incidents_visible_to
    from safespaces.accounts.models import User

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"{Incident.objects.count()} incidents")
    for username, role in (("bench10", "staff"), ("bench1", "coordinator"), ("bench0", "admin")):
        user = User.objects.get(username=username)
        visible = incidents_visible_to(user)
        ordered = visible.select_related("place")
        count = visible.count()
        print(f"{role}: sees {count}")
        print(f"  count            {count_ms(visible):8.1f} ms")
        print(f"  first page       {execution_ms(ordered[:26]):8.1f} ms")
        deep = count - 50
        print(f"  page by OFFSET   {execution_ms(ordered[deep : deep + 26]):8.1f} ms")
        try:
            from incidents.timeline import older_than
        except ImportError:
            continue
        last = ordered[deep : deep + 1].get()
        print(f"  page by keyset   {execution_ms(older_than(ordered, last)[:26]):8.1f} ms")


def count_ms(visible: Any) -> float:
    """EXPLAIN ANALYZE of the COUNT the paginator runs."""
    from django.db import connection

    sql, params = visible.order_by().values("pk").query.sql_with_params()
    times = []
    with connection.cursor() as cursor:
        for _ in range(RUNS):
            # The SQL is Django's own, with its parameters passed apart.
            explain = f"EXPLAIN ANALYZE SELECT COUNT(*) FROM ({sql}) AS counted"  # noqa: S608
            cursor.execute(explain, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            times.append(float(re.findall(r"Execution Time: ([\d.]+) ms", plan)[0]))
    return min(times)


def main() -> None:
    options = arguments()
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safespaces.settings")
    if not urlsplit(database_url).scheme.startswith("postgres"):
        sys.exit("The incident list's plans are Postgres's: set DATABASE_URL to a Postgres one.")
    if not options.reuse:
        recreate(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if not options.reuse:
        build(options.incidents)
    if options.situations:
        build_situations(options.situations)
    measure()
    measure_register()


if __name__ == "__main__":
    main()
