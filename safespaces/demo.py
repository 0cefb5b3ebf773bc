"""Fictional demo data for `seed_demo`: the platform's part of the story, and where the apps built
on it add theirs. Any likeness to real people is accidental.

The story: a small organization supporting women leaving exploitation, with an office, a safe
house and a night outreach van at the central station. Amina and Samir administer SafeSpaces, Rosa
and Tomas coordinate, Lin works on the outreach team. Heron, whom they support, has a court hearing
coming; Kestrel volunteers on the outreach nights; Swift is a survivor's relative. Each app tells
its chapter as tables in its own `demo.py`, seeded in the order the apps registered here:
- `allies/demo.py`: who they work with and against (a shelter they ask often, a police liaison,
  a recruiter working for the Blue Door network, a tabloid);
- `incidents/demo.py`: two years of incidents, with the recruiter coming back more and more often;
- `riskassessment/demo.py`: the activities they assess (the station outreach, Heron's hearing, a
  rally, the safe house...), with decisions, approvals and measures in every state.

Each app's `demo.py` holds the tables first and a short builder after them, which writes through
the app's services as people do through the forms. The platform knows the apps only through
`register` (the arrows only point this way, as for `safespaces.dashboard`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.people.models import Person
from safespaces.people.services import person_create
from safespaces.places.models import Place, PlaceKind
from safespaces.places.services import place_create

# The demo users' logins; tables name the person who does something by them.
ADMINISTRATOR = "demo-admin"
COORDINATOR = "demo-coordinator"
STAFF = "demo-staff"


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role


@dataclass(frozen=True)
class DemoPerson:
    alias: str
    relation: str
    identity: dict[str, str]  # the encrypted identity fields, for reveal, grants and erasure
    # Days ago they agreed to us storing their data; None: not asked yet.
    consent_days_ago: int | None = None


@dataclass(frozen=True)
class DemoPlace:
    kind: PlaceKind
    name: str
    address: str


# A second administrator and coordinator: an erasure needs two administrators, and a decision
# on a high risk a second pair of eyes, so the demo can walk both.
SECOND_ADMINISTRATOR = "demo-admin-2"
SECOND_COORDINATOR = "demo-coordinator-2"

USERS = [
    DemoUser(ADMINISTRATOR, "Amina (demo administrator)", Role.ADMINISTRATOR),
    DemoUser(SECOND_ADMINISTRATOR, "Samir (demo administrator)", Role.ADMINISTRATOR),
    DemoUser(COORDINATOR, "Rosa (demo coordinator)", Role.COORDINATOR),
    DemoUser(SECOND_COORDINATOR, "Tomas (demo coordinator)", Role.COORDINATOR),
    DemoUser(STAFF, "Lin (demo staff)", Role.STAFF),
]

PEOPLE = [
    DemoPerson("Heron", "member", {"legal_name": "Maria Exemplo", "phone": "+44 7700 900001"}, 200),
    DemoPerson("Kestrel", "volunteer", {"legal_name": "Jo Sample", "email": "jo@example.org"}, 45),
    # A relative the team has met once: nobody has asked her yet.
    DemoPerson("Swift", "family", {"legal_name": "Ana Placeholder", "address": "1 Example Lane"}),
]

PLACES = [
    DemoPlace(PlaceKind.OFFICE, "Main office", "1 Example Street"),
    DemoPlace(PlaceKind.SHELTER, "Safe house", "7 Hidden Lane"),
    DemoPlace(PlaceKind.OUTREACH_SITE, "Station outreach", "Around the central station"),
]


def people_and_places_seed(*, by: User) -> list[str]:
    """Add the people once each, and the places once, to an empty table: place names are
    encrypted and cannot be looked up."""
    for row in PEOPLE:
        if not Person.objects.filter(alias=row.alias).exists():
            consented = row.consent_days_ago is not None
            person_create(
                person=Person(
                    alias=row.alias,
                    relation=row.relation,
                    consent_to_store=consented,
                    consent_to_store_on=(
                        timezone.localdate() - timedelta(days=row.consent_days_ago)
                        if row.consent_days_ago is not None
                        else None
                    ),
                    **row.identity,
                ),
                by=by,
            )
    if not Place.objects.exists():
        for place in PLACES:
            place_create(
                place=Place(kind=place.kind, name=place.name, address=place.address), by=by
            )
    return [f"Demo people: {', '.join(row.alias for row in PEOPLE)} (fictional)."]


class Cast:
    """The demo users by login, for the apps' tables. A login with no user is played by the
    stand-in: the browser tests seed an app's demo with one coordinator of their own."""

    def __init__(self, stand_in: User) -> None:
        logins = [row.username for row in USERS]
        self._users = {user.username: user for user in User.objects.filter(username__in=logins)}
        self._stand_in = stand_in

    def __getitem__(self, username: str) -> User:
        return self._users.get(username, self._stand_in)


def places_by_kind() -> dict[str, Place]:
    """The demo's places, one of each kind: tables name a place by its kind (names are
    encrypted and cannot be looked up)."""
    return {place.kind: place for place in Place.objects.filter(archived=False)}


def people_by_alias() -> dict[str, Person]:
    return {person.alias: person for person in Person.objects.filter(erased_at__isnull=True)}


# --- Apps' chapters ----------------------------------------------------------------------------

# Adds an app's demo records once, to its empty tables, and returns lines to print. Its argument
# plays any demo user who does not exist (see Cast).
DemoSeed = Callable[[User], list[str]]
_seeds: list[tuple[int, DemoSeed]] = []


def register(seed: DemoSeed, *, order: int) -> None:
    """Add an app's demo; called from its `ready()`. Seeds run in `order`, smallest first: an
    app whose story points at another's records comes after it."""
    if all(known is not seed for _order, known in _seeds):
        _seeds.append((order, seed))
        _seeds.sort(key=lambda entry: entry[0])


def apps_seed(user: User) -> list[str]:
    lines: list[str] = []
    for _order, seed in _seeds:
        lines += seed(user)
    return lines
