"""Fictional actors, relations and contacts for `seed_demo`; any likeness is accidental.

Chosen so that every part of the allies pages shows something: an ally asked often, contact
details overdue for a check, gaps in some areas, adversaries only coordinators see.
"""

from datetime import timedelta

from django.utils import timezone

from allies.models import Actor, Engagement, Relation, SharingConsent
from safespaces.accounts.models import User
from safespaces.people.models import Person
from safespaces.places.models import Place, PlaceKind

EVERYWHERE = "everywhere"
# name, kind, sector, stance, power, trust, capabilities, areas (place kinds), in directory,
# months since the contacts were checked (None: never)
ACTORS = [
    ("Harbourside Women's Shelter", "organization", "shelter", "ally", 3, 5,
     ["shelter", "psychosocial"], [PlaceKind.OUTREACH_SITE, PlaceKind.OFFICE], True, 1),
    ("Station police liaison", "person", "police", "ally", 4, 3,
     ["emergency_response", "referral"], [PlaceKind.OUTREACH_SITE], True, 8),
    ("Northtown Legal Clinic", "organization", "legal", "ally", 3, 4,
     ["legal_aid", "referral"], EVERYWHERE, True, 2),
    ("St Brigid's Health Centre", "organization", "health", "ally", 2, 4,
     ["medical", "psychosocial"], [PlaceKind.OFFICE], True, 3),
    ("Port welfare desk", "institution", "port_transport", "ally", 4, 2,
     ["emergency_response", "referral"], [PlaceKind.OUTREACH_SITE], False, None),
    ("Survivors Together", "group", "survivor_network", "ally", 2, 5,
     ["psychosocial", "training", "media"], EVERYWHERE, True, 4),
    ("Consular section", "institution", "embassy", "ally", 4, 3,
     ["relocation"], EVERYWHERE, False, 5),
    ("Regional Journalists' Forum", "organization", "media", "ally", 3, 3,
     ["media", "political_pressure"], EVERYWHERE, False, 10),
    ("City social affairs office", "institution", "government", "neutral", 4, None,
     [], [], False, None),
    ("Quayside Hotel", "organization", "business", "neutral", 2, None,
     [], [], False, None),
    ("New club on Dock Road", "organization", "business", "unknown", 2, None,
     [], [], False, None),
    ("The Blue Door network", "group", "criminal_network", "adversary", 4, None,
     [], [], False, None),
    ("Dock Road recruiter", "person", "criminal_network", "adversary", 3, None,
     [], [], False, None),
    ("Weekly Tattler", "organization", "media", "adversary", 3, None,
     [], [], False, None),
]  # fmt: skip

RELATIONS = [
    ("The Blue Door network", "control", "Dock Road recruiter"),
    ("Quayside Hotel", "dependence", "The Blue Door network"),
    ("Station police liaison", "conflict", "The Blue Door network"),
    ("Harbourside Women's Shelter", "alliance", "Northtown Legal Clinic"),
    ("Harbourside Women's Shelter", "close", "Survivors Together"),
    ("Harbourside Women's Shelter", "dependence", "City social affairs office"),
    ("Port welfare desk", "weak", "Station police liaison"),
    ("Weekly Tattler", "conflict", "Survivors Together"),
    ("Dock Road recruiter", "violent_conflict", "Survivors Together"),
]

# actor, days ago, kind, purpose, outcome, response hours
ENGAGEMENTS = [
    ("Harbourside Women's Shelter", 5, "request", "A bed for two nights", "helped", 2),
    ("Harbourside Women's Shelter", 21, "request", "A bed for a mother and child", "helped", 3),
    ("Harbourside Women's Shelter", 40, "referral", "Counselling after outreach", "partly", 48),
    ("Harbourside Women's Shelter", 62, "request", "Emergency stay after a threat", "helped", 1),
    ("Harbourside Women's Shelter", 80, "request", "A bed for tonight", "declined", 4),
    ("Station police liaison", 12, "alert", "New recruiter seen at the station", "pending", None),
    ("Station police liaison", 50, "request", "Patrol near the outreach van", "no_response", None),
    ("Station police liaison", 140, "request", "Escort from the station", "helped", 6),
    ("Northtown Legal Clinic", 30, "referral", "Advice on a residence permit", "helped", 72),
    ("Survivors Together", 15, "meeting", "Planning the spring campaign", "helped", None),
]  # fmt: skip

CONSENTS = [("Heron", "Harbourside Women's Shelter"), ("Heron", "Northtown Legal Clinic")]


def seed(user: User) -> list[str]:
    """Add the demo actors once, to an empty table (names are encrypted and cannot be looked
    up). `user` records the relations and contacts."""
    if Actor.objects.exists():
        return []
    today = timezone.localdate()
    places = {place.kind: place for place in Place.objects.filter(archived=False)}
    actors: dict[str, Actor] = {}
    for name, kind, sector, stance, power, trust, capabilities, areas, listed, months in ACTORS:
        actor = Actor.objects.create(
            name=name,
            kind=kind,
            sector=sector,
            stance=stance,
            power=power,
            trust=trust,
            serves_everywhere=areas == EVERYWHERE,
            in_directory=listed,
            contact_person="Duty desk" if listed else "",
            phone=f"+44 7700 900{len(actors):03d}",
            messenger=f"Signal +44 7700 901{len(actors):03d}" if listed else "",
            last_verified=today - timedelta(days=30 * months) if months is not None else None,
            notes="Fictional demo actor.",
        )
        for capability in capabilities:
            actor.capabilities.create(capability=capability)
        if areas != EVERYWHERE:
            actor.areas.set([places[kind] for kind in areas if kind in places])
        actors[name] = actor
    for source, kind, target in RELATIONS:
        Relation.objects.create(
            source=actors[source], kind=kind, target=actors[target], recorded_by=user
        )
    for name, days, kind, purpose, outcome, hours in ENGAGEMENTS:
        Engagement.objects.create(
            actor=actors[name],
            date=today - timedelta(days=days),
            kind=kind,
            purpose=purpose,
            outcome=outcome,
            response_hours=hours,
            recorded_by=user,
        )
    for alias, name in CONSENTS:
        person = Person.objects.filter(alias=alias).first()
        if person is not None:
            SharingConsent.objects.create(
                person=person, ally=actors[name], given_on=today, recorded_by=user
            )
    return [f"Demo actors: {len(actors)} (fictional), with relations and contacts."]
