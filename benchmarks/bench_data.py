"""Fictional data at the size of a large organization, for the page benchmark (benchmarks/pages.py).

Per 100,000 incidents: 400,000 timeline entries, 1,000 actors, 5,000 people, 200 places, 2,000
risk situations (each assessed, decided, with a threat and a measure) and 50 users; `generate(n)`
scales all of them by n / 100,000, with a floor so that every page still has something to show.
The demo's story (safespaces/demo.py and the apps' demo.py) is seeded first, through the services,
so its users, people and pickers exist as they do in `make seed`; the bulk comes after, drawn from
the demo's vocabularies.

The bulk goes through `bulk_create`, which calls each field's `pre_save`: every encrypted value
is sealed exactly as `save()` seals it (one AES-GCM seal per value, bound to the row). One
transaction per batch. No audit event is written for the bulk: the audit trail records what
people did, and nobody did this; the demo's own events are there.
"""

import random
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any, TypeVar

from django.contrib.auth.models import Group
from django.db import models, transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from allies import demo as allies_demo
from allies.models import Actor, ActorCapability
from incidents import demo as incidents_demo
from incidents.models import EntryKind, Incident, TimelineEntry, Visibility
from incidents.references import reference_draw
from riskassessment.models import Assessment, Measure, MeasureKind, RiskSituation, Threat
from riskassessment.scoring import Ratings, index_level, overall_level, threat_level
from safespaces import demo
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.people.models import Person
from safespaces.places.models import Place, PlaceKind

PER_100K = {
    "incidents": 100_000,
    "entries": 400_000,
    "actors": 1_000,
    "people": 5_000,
    "places": 200,
    "situations": 2_000,
    "users": 50,
}
AT_LEAST = {"actors": 20, "people": 20, "places": 5, "situations": 5, "users": 8}
BATCH = 2_000
SEED = 20261203
# Every persona signs in with this password and a TOTP device whose key is below: fictional data
# in a throwaway database only.
PASSWORD = "bench-password-not-secret"  # noqa: S105
TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, in hex
OVER_DAYS = 730

BIRDS = ("Heron", "Kestrel", "Swift", "Wren", "Lark", "Finch", "Robin", "Plover", "Tern", "Egret")
STREETS = ("Dock Road", "Station Square", "Harbour Lane", "Mill Street", "Quay Walk", "Park Row")
NOTES = (
    "Fictional note: called the shelter, they will keep a bed free tonight.",
    "Fictional note: the police liaison did not answer; tried again in the morning.",
    "Fictional note: moved the outreach to the north entrance for two weeks.",
    "Fictional note: talked it through at the team meeting; nobody goes alone.",
)
NOTE_KINDS = (EntryKind.NOTE, EntryKind.ACTION, EntryKind.ALLY_CONTACTED)

ModelT = TypeVar("ModelT", bound=models.Model)


def scaled(n: int) -> dict[str, int]:
    """How many of each record `n` incidents come with."""
    counts = {name: round(per * n / 100_000) for name, per in PER_100K.items()}
    counts["incidents"] = n
    return {name: max(count, AT_LEAST.get(name, 0)) for name, count in counts.items()}


@dataclass
class Report:
    """Rows written per table and the seconds it took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0  # the bulk
    story_seconds: float = 0.0  # the demo's story, through the services

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0


def batches(items: Iterable[ModelT], size: int = BATCH) -> Iterator[list[ModelT]]:
    batch: list[ModelT] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert(model: type[ModelT], rows: Iterable[ModelT]) -> int:
    """bulk_create in batches, one transaction each; the number of rows written."""
    written = 0
    for batch in batches(rows):
        with transaction.atomic():
            model._default_manager.bulk_create(batch)
        written += len(batch)
    return written


def personas_seed() -> dict[str, User]:
    """The demo's users, each with the bench password and a known authenticator, then its story
    told through the services as `make seed` tells it."""
    users = {}
    for row in demo.USERS:
        user = User(username=row.username, display_name=row.display_name)
        user.set_password(PASSWORD)
        user.save()
        user.groups.set([Group.objects.get(name=row.role.value)])
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True, key=TOTP_KEY)
        users[row.username] = user
    with transaction.atomic():
        cast = demo.Cast(stand_in=users[demo.COORDINATOR])
        demo.people_and_places_seed(by=cast[demo.ADMINISTRATOR])
        demo.apps_seed(cast[demo.COORDINATOR])
    return users


def users_build(count: int, rng: random.Random) -> list[User]:
    """Staff mostly, a few coordinators and administrators; they never sign in."""
    groups = {role: Group.objects.get(name=role.value) for role in Role}
    made = User.objects.bulk_create(
        User(username=f"bench-user-{n}", display_name=f"{rng.choice(BIRDS)} (bench user {n})")
        for n in range(count)
    )
    for n, user in enumerate(made):
        user.set_unusable_password()
        role = (
            Role.COORDINATOR if n % 10 == 0 else Role.ADMINISTRATOR if n % 25 == 1 else Role.STAFF
        )
        user.groups.add(groups[role])
    User.objects.bulk_update(made, ["password"])
    return made


def places_build(count: int) -> Iterator[Place]:
    kinds = list(PlaceKind)
    for n in range(count):
        kind = kinds[n % len(kinds)]
        street = STREETS[n % len(STREETS)]
        yield Place(kind=kind, name=f"{kind.label} {n}", address=f"{n} {street} (fictional)")


def actors_build(count: int, rng: random.Random, today: date) -> Iterator[Actor]:
    for n in range(count):
        row = rng.choice(allies_demo.ACTORS)
        yield Actor(
            kind=row.kind,
            sector=row.sector,
            stance=row.stance,
            power=row.power,
            trust=row.trust,
            name=f"{row.name} {n}",
            contact_person=f"{rng.choice(BIRDS)} Example" if row.stance == "ally" else "",
            phone=f"+44 7700 9{n:05d}" if row.stance == "ally" else "",
            email=f"contact{n}@example.org" if row.stance == "ally" else "",
            notes="Fictional actor for the benchmark.",
            serves_everywhere=row.areas == allies_demo.EVERYWHERE,
            in_directory=row.in_directory,
            last_verified=today - timedelta(days=30 * (row.checked_months_ago or 12)),
        )


def people_build(count: int, rng: random.Random) -> Iterator[Person]:
    relations = list(Person.Relation)
    for n in range(count):
        yield Person(
            alias=f"{rng.choice(BIRDS)} {n}",
            relation=rng.choice(relations),
            legal_name=f"Fictional Person {n}",
            phone=f"+44 7700 8{n:05d}",
            notes="Fictional person for the benchmark.",
            consent_to_store=True,
        )


def incident_draw(
    n: int, rng: random.Random, now: datetime, choices: "Pools"
) -> tuple[Incident, list[dict[str, Any]]]:
    """One incident, and the timeline entries that go with it (as field values)."""
    story = rng.choice(choices.stories)
    occurred = now.date() - timedelta(days=int(OVER_DAYS * rng.random() ** 1.5))
    age = (now.date() - occurred).days
    status = next(s for older, s in incidents_demo.STATUS_BY_AGE if age > older)
    at = clock(rng.randint(7, 23), rng.choice((0, 15, 30, 45)))
    reported = timezone.make_aware(datetime.combine(occurred, at)) + timedelta(hours=3)
    visibility = rng.choices(
        list(incidents_demo.VISIBILITY_WEIGHTS), list(incidents_demo.VISIBILITY_WEIGHTS.values())
    )[0]
    reporter = rng.choice(choices.users)
    incident = Incident(
        reference=choices.reference(),
        kind=story.kind,
        category=story.category,
        occurred_on=occurred,
        occurred_time=at,
        place=rng.choice(choices.places) if story.place or rng.random() < 0.3 else None,
        summary=f"{story.summary} ({n})",
        description=incidents_demo.WORDS.format(hour=at.strftime("%H:%M")),
        severity=rng.choice(story.severities),
        status=rng.choice(status),
        visibility=visibility,
        source=rng.choice(choices.actors) if story.source else None,
        lessons=incidents_demo.LESSONS if rng.random() < 0.3 else "",
        reporter=reporter,
        created_at=reported,
        updated_at=reported,
        first_reviewed_at=reported + timedelta(hours=20) if age > 7 else None,
    )
    entries = [dict(kind=EntryKind.LOGGED, author=reporter, created_at=reported)]
    for step in range(1, choices.entries_per_incident):
        entries.append(
            dict(
                kind=rng.choice(NOTE_KINDS),
                body=rng.choice(NOTES),
                author=rng.choice(choices.users),
                created_at=min(reported + timedelta(hours=6 * step), now),
            )
        )
    return incident, entries


@dataclass
class Pools:
    """What the bulk incidents draw from."""

    users: list[User]
    places: list[Place]
    actors: list[Actor]
    people: list[Person]
    entries_per_incident: int
    stories: list[incidents_demo.Story] = field(
        default_factory=lambda: [s for s in incidents_demo.STORIES for _ in range(s.weight)]
    )
    used: set[str] = field(default_factory=set)

    def reference(self) -> str:
        while (reference := reference_draw()) in self.used:
            pass
        self.used.add(reference)
        return reference


@contextmanager
def dated_by_hand(*dates: models.DateTimeField) -> Iterator[None]:
    """Let rows keep the dates they are given: auto_now(_add) would date two years of incidents
    and their timelines all today."""
    saved = [(column, column.auto_now, column.auto_now_add) for column in dates]
    for column in dates:
        column.auto_now = column.auto_now_add = False
    try:
        yield
    finally:
        for column, auto_now, auto_now_add in saved:
            column.auto_now, column.auto_now_add = auto_now, auto_now_add


def date_column(model: type[models.Model], name: str) -> models.DateTimeField:
    column = model._meta.get_field(name)
    assert isinstance(column, models.DateTimeField)
    return column


def incidents_insert(count: int, rng: random.Random, pools: Pools) -> dict[str, int]:
    """Incidents with their timelines, the people they affect and, for the named ones, who they
    are shared with; one transaction per batch."""
    with dated_by_hand(
        date_column(Incident, "created_at"),
        date_column(Incident, "updated_at"),
        date_column(TimelineEntry, "created_at"),
    ):
        return incidents_insert_dated(count, rng, pools)


def incidents_insert_dated(count: int, rng: random.Random, pools: Pools) -> dict[str, int]:
    now = timezone.now()
    written = {"incidents": 0, "entries": 0}
    for start in range(0, count, BATCH):
        drawn = [incident_draw(n, rng, now, pools) for n in range(start, min(count, start + BATCH))]
        with transaction.atomic():
            made = Incident.objects.bulk_create([incident for incident, _entries in drawn])
            entries = [
                TimelineEntry(incident=incident, **values)
                for incident, (_drawn, rows) in zip(made, drawn, strict=True)
                for values in rows
            ]
            TimelineEntry.objects.bulk_create(entries)
            Incident.affected_people.through.objects.bulk_create(
                Incident.affected_people.through(incident_id=incident.pk, person_id=person.pk)
                for incident in made
                if rng.random() < incidents_demo.SHARE_AFFECTING_A_PERSON
                for person in [rng.choice(pools.people)]
            )
            Incident.shared_with.through.objects.bulk_create(
                Incident.shared_with.through(incident_id=incident.pk, user_id=user.pk)
                for incident in made
                if incident.visibility == Visibility.NAMED
                for user in {rng.choice(pools.users), rng.choice(pools.users)}
            )
        written["incidents"] += len(made)
        written["entries"] += len(entries)
    return written


def situations_insert(count: int, rng: random.Random, pools: Pools) -> int:
    """Current situations, each assessed once, decided, with one threat and one measure."""
    kinds = list(RiskSituation.Kind)
    today = timezone.localdate()
    written = 0
    for start in range(0, count, BATCH):
        size = min(count, start + BATCH) - start
        with transaction.atomic():
            situations = RiskSituation.objects.bulk_create(
                RiskSituation(
                    kind=rng.choice(kinds),
                    title=f"Fictional activity {start + n} near {rng.choice(STREETS)}",
                    objective="Meet the women we support where they are, safely.",
                    place=rng.choice(pools.places),
                    starts_on=today - timedelta(days=rng.randint(0, 300)),
                    check_in_when="On arrival and when everyone is home.",
                    created_by=rng.choice(pools.users),
                )
                for n in range(size)
            )
            assessments, threats, measures = [], [], []
            for situation in situations:
                ratings = Ratings(rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5))
                likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
                level = overall_level(
                    index_level(ratings.index), [threat_level(likelihood, impact)]
                )
                decider = rng.choice(pools.users)
                assessment = Assessment(
                    situation=situation,
                    number=1,
                    trigger=Assessment.Trigger.BEFORE,
                    threat=ratings.threat,
                    vulnerability=ratings.vulnerability,
                    capacity=ratings.capacity,
                    inherent_level=level,
                    residual_level=level,
                    decision=Assessment.Decision.GO_WITH_MEASURES,
                    rationale="Fictional: the measures bring it down enough.",
                    valid_until=today + timedelta(days=rng.randint(-30, 180)),
                    decided_by=decider,
                    decided_at=timezone.now(),
                    created_by=decider,
                )
                assessments.append(assessment)
                threats.append(
                    Threat(
                        assessment=assessment,
                        description="Fictional: the recruiter comes back.",
                        source=rng.choice(pools.actors),
                        likelihood=likelihood,
                        impact=impact,
                    )
                )
                measures.append(
                    Measure(
                        situation=situation,
                        kind=rng.choice(list(MeasureKind)),
                        description="Fictional: go in pairs and call in on arrival.",
                        owner=decider,
                        created_by=decider,
                        due_on=today + timedelta(days=rng.randint(-10, 60)),
                    )
                )
            Assessment.objects.bulk_create(assessments)
            Threat.objects.bulk_create(threats)
            Measure.objects.bulk_create(measures)
            RiskSituation.participants.through.objects.bulk_create(
                RiskSituation.participants.through(risksituation_id=s.pk, user_id=u.pk)
                for s in situations
                for u in {rng.choice(pools.users), rng.choice(pools.users)}
            )
        written += size
    return written


def timed(report: Report, name: str, step: Callable[[], int | dict[str, int]]) -> None:
    started = time.monotonic()
    result = step()
    elapsed = time.monotonic() - started
    counts = result if isinstance(result, dict) else {name: result}
    report.rows.update(counts)
    total = sum(counts.values())
    print(f"  {name}: {total:,} rows in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f}/s)")


def generate(n: int, *, story: bool = True) -> Report:
    """The demo's story (unless `story` is off), then the bulk for `n` incidents, into an
    empty, migrated database."""
    rng = random.Random(SEED)  # noqa: S311 - fictional data, the same every run
    counts = scaled(n)
    report = Report()
    today = timezone.localdate()
    started = time.monotonic()
    if story:
        personas_seed()
    report.story_seconds = time.monotonic() - started
    started = time.monotonic()
    existing = {name: 0 for name in counts}
    existing |= {"users": User.objects.count(), "places": Place.objects.count()}
    existing |= {"actors": Actor.objects.count(), "people": Person.objects.count()}
    more = {name: max(0, counts[name] - existing[name]) for name in counts}
    timed(report, "users", lambda: len(users_build(more["users"], rng)))
    timed(report, "places", lambda: insert(Place, places_build(more["places"])))
    timed(report, "actors", lambda: insert(Actor, actors_build(more["actors"], rng, today)))
    timed(report, "capabilities", lambda: capabilities_insert(rng))
    timed(report, "people", lambda: insert(Person, people_build(more["people"], rng)))
    pools = Pools(
        users=list(User.objects.all()),
        places=list(Place.objects.all()),
        actors=list(Actor.objects.all()),
        people=list(Person.objects.filter(erased_at__isnull=True)),
        entries_per_incident=max(1, counts["entries"] // max(1, counts["incidents"])),
    )
    pools.used.update(Incident.objects.values_list("reference", flat=True))
    timed(report, "incidents", lambda: incidents_insert(more["incidents"], rng, pools))
    timed(report, "situations", lambda: situations_insert(more["situations"], rng, pools))
    report.seconds = time.monotonic() - started
    return report


def capabilities_insert(rng: random.Random) -> int:
    """What each ally can do, from the demo's table of allies with the same sector."""
    by_sector = {row.sector: row.capabilities for row in allies_demo.ACTORS}
    return insert(
        ActorCapability,
        (
            ActorCapability(actor=actor, capability=capability)
            for actor in Actor.objects.filter(stance="ally", capabilities__isnull=True)
            for capability in by_sector.get(actor.sector, ())
        ),
    )
