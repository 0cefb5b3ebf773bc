"""The allies' chapter of the demo story (see `safespaces.demo`); any likeness is accidental.

Chosen so that every part of the allies pages shows something: an ally asked often (the
Harbourside shelter), contact details overdue for a check (the police liaison), gaps in some
areas, and adversaries only coordinators see (the Blue Door network, its recruiter on Dock Road,
a tabloid). The incidents and risk chapters name these actors.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from django.utils import timezone

from allies.models import Actor, Engagement
from allies.services import (
    actor_create,
    engagement_record,
    relation_create,
    sharing_consent_record,
)
from safespaces.accounts.models import User
from safespaces.demo import COORDINATOR, Cast, people_by_alias, places_by_kind
from safespaces.places.models import PlaceKind

OFFICE, SHELTER, OUTREACH = PlaceKind.OFFICE, PlaceKind.SHELTER, PlaceKind.OUTREACH_SITE
EVERYWHERE: Literal["everywhere"] = "everywhere"


@dataclass(frozen=True)
class ActorRow:
    name: str
    kind: str
    sector: str
    stance: str
    power: int
    trust: int | None = None
    capabilities: tuple[str, ...] = ()
    areas: tuple[PlaceKind, ...] | Literal["everywhere"] = ()
    in_directory: bool = False
    checked_months_ago: int | None = None  # when the contact details were last checked


@dataclass(frozen=True)
class RelationRow:
    source: str
    kind: str
    target: str


@dataclass(frozen=True)
class ContactRow:
    """An engagement: a contact with an actor, `days_ago`."""

    actor: str
    days_ago: int
    kind: str
    purpose: str
    outcome: str
    response_hours: int | None


@dataclass(frozen=True)
class ConsentRow:
    person: str  # an alias in safespaces/demo.py
    ally: str


# name, kind, sector, stance, power, trust; what allies can do, where, whether in the directory,
# and how many months ago their contact details were checked.
ACTORS = [
    ActorRow("Harbourside Women's Shelter", "organization", "shelter", "ally", 3, 5,
             ("shelter", "psychosocial"), (OUTREACH, OFFICE), True, 1),
    ActorRow("Station police liaison", "person", "police", "ally", 4, 3,
             ("emergency_response", "referral"), (OUTREACH,), True, 8),
    ActorRow("Northtown Legal Clinic", "organization", "legal", "ally", 3, 4,
             ("legal_aid", "referral"), EVERYWHERE, True, 2),
    ActorRow("St Brigid's Health Centre", "organization", "health", "ally", 2, 4,
             ("medical", "psychosocial"), (OFFICE,), True, 3),
    ActorRow("Port welfare desk", "institution", "port_transport", "ally", 4, 2,
             ("emergency_response", "referral"), (OUTREACH,)),
    ActorRow("Survivors Together", "group", "survivor_network", "ally", 2, 5,
             ("psychosocial", "training", "media"), EVERYWHERE, True, 4),
    ActorRow("Consular section", "institution", "embassy", "ally", 4, 3,
             ("relocation",), EVERYWHERE, False, 5),
    ActorRow("Regional Journalists' Forum", "organization", "media", "ally", 3, 3,
             ("media", "political_pressure"), EVERYWHERE, False, 10),
    ActorRow("City social affairs office", "institution", "government", "neutral", 4),
    ActorRow("Quayside Hotel", "organization", "business", "neutral", 2),
    ActorRow("New club on Dock Road", "organization", "business", "unknown", 2),
    ActorRow("The Blue Door network", "group", "criminal_network", "adversary", 4),
    ActorRow("Dock Road recruiter", "person", "criminal_network", "adversary", 3),
    ActorRow("Weekly Tattler", "organization", "media", "adversary", 3),
]  # fmt: skip

RELATIONS = [
    RelationRow("The Blue Door network", "control", "Dock Road recruiter"),
    RelationRow("Quayside Hotel", "dependence", "The Blue Door network"),
    RelationRow("Station police liaison", "conflict", "The Blue Door network"),
    RelationRow("Harbourside Women's Shelter", "alliance", "Northtown Legal Clinic"),
    RelationRow("Harbourside Women's Shelter", "close", "Survivors Together"),
    RelationRow("Harbourside Women's Shelter", "dependence", "City social affairs office"),
    RelationRow("Port welfare desk", "weak", "Station police liaison"),
    RelationRow("Weekly Tattler", "conflict", "Survivors Together"),
    RelationRow("Dock Road recruiter", "violent_conflict", "Survivors Together"),
]

# The shelter is asked often; the police liaison answers slowly or not at all.
SHELTER_ALLY, POLICE_ALLY = "Harbourside Women's Shelter", "Station police liaison"
CLINIC_ALLY = "Northtown Legal Clinic"
ENGAGEMENTS = [
    ContactRow(SHELTER_ALLY, 5, "request", "A bed for two nights", "helped", 2),
    ContactRow(SHELTER_ALLY, 21, "request", "A bed for a mother and child", "helped", 3),
    ContactRow(SHELTER_ALLY, 40, "referral", "Counselling after outreach", "partly", 48),
    ContactRow(SHELTER_ALLY, 62, "request", "Emergency stay after a threat", "helped", 1),
    ContactRow(SHELTER_ALLY, 80, "request", "A bed for tonight", "declined", 4),
    ContactRow(POLICE_ALLY, 12, "alert", "New recruiter seen at the station", "pending", None),
    ContactRow(POLICE_ALLY, 50, "request", "Patrol near the outreach van", "no_response", None),
    ContactRow(POLICE_ALLY, 140, "request", "Escort from the station", "helped", 6),
    ContactRow(CLINIC_ALLY, 30, "referral", "Advice on a residence permit", "helped", 72),
    ContactRow("Survivors Together", 15, "meeting", "Planning the spring campaign", "helped", None),
]

CONSENTS = [
    ConsentRow("Heron", "Harbourside Women's Shelter"),
    ConsentRow("Heron", "Northtown Legal Clinic"),
]

# Everything in this chapter is recorded by the coordinator.
RECORDED_BY = COORDINATOR


def seed(user: User) -> list[str]:
    """Add the demo actors once, to an empty table (names are encrypted and cannot be looked
    up), with their relations, contacts and consents. `user` plays any missing demo user."""
    if Actor.objects.exists():
        return []
    by = Cast(user)[RECORDED_BY]
    today = timezone.localdate()
    places = places_by_kind()
    actors: dict[str, Actor] = {}
    for number, row in enumerate(ACTORS):
        listed = row.in_directory
        months = row.checked_months_ago
        actor = Actor(
            name=row.name,
            kind=row.kind,
            sector=row.sector,
            stance=row.stance,
            power=row.power,
            trust=row.trust,
            serves_everywhere=row.areas == EVERYWHERE,
            in_directory=listed,
            contact_person="Duty desk" if listed else "",
            phone=f"+44 7700 900{number:03d}",
            messenger=f"Signal +44 7700 901{number:03d}" if listed else "",
            last_verified=today - timedelta(days=30 * months) if months is not None else None,
            notes="Fictional demo actor.",
        )
        areas = [] if row.areas == EVERYWHERE else [places[k] for k in row.areas if k in places]
        actors[row.name] = actor_create(
            actor=actor, capabilities=list(row.capabilities), areas=list(areas), by=by
        )
    for relation in RELATIONS:
        relation_create(
            source=actors[relation.source],
            kind=relation.kind,
            target=actors[relation.target],
            by=by,
        )
    for contact in ENGAGEMENTS:
        engagement = Engagement(
            actor=actors[contact.actor],
            date=today - timedelta(days=contact.days_ago),
            kind=contact.kind,
            purpose=contact.purpose,
            outcome=contact.outcome,
            response_hours=contact.response_hours,
        )
        engagement_record(engagement=engagement, by=by)
    people = people_by_alias()
    for consent in CONSENTS:
        if consent.person in people:
            sharing_consent_record(
                person=people[consent.person], ally=actors[consent.ally], given_on=today, by=by
            )
    return [f"Demo actors: {len(actors)} (fictional), with relations and contacts."]
