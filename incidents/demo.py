"""Fictional incidents over the last two years for `seed_demo`; any likeness is accidental.

Spread so that the timeline, trends and patterns show something: a rising run of contacts by a
recruiter at the station outreach site, online harassment after a media appearance, a few
near misses and self-caused slips, incidents at every visibility level.
"""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from allies.models import Actor
from incidents.models import (
    EntryKind,
    Incident,
    Review,
    Status,
    ThreatAssessment,
    TimelineEntry,
    Visibility,
)
from incidents.references import reference_new
from safespaces.accounts.models import User
from safespaces.people.models import Person
from safespaces.places.models import Place, PlaceKind

HOW_MANY = 140
# summary, kind, category, place kind (or None), source actor name (or None), severities, weight
STORIES = [
    ("Recruiter approached a woman we support", "threat", "recruitment",
     PlaceKind.OUTREACH_SITE, "Dock Road recruiter", (3, 4), 9),
    ("Man from the old house watched the outreach van", "incident", "surveillance",
     PlaceKind.OUTREACH_SITE, "The Blue Door network", (2, 3), 7),
    ("Message from a former exploiter", "threat", "former_exploiters",
     None, "The Blue Door network", (3, 4, 5), 6),
    ("Hostile comments after the radio interview", "incident", "defamation",
     None, "Weekly Tattler", (2, 3), 5),
    ("Article naming the shelter's street", "incident", "defamation",
     PlaceKind.SHELTER, "Weekly Tattler", (4,), 1),
    ("Phone with case notes left on the bus", "incident", "digital",
     None, None, (3,), 2),
    ("Shared the outreach rota in an open group by mistake", "near_miss", "digital",
     None, None, (2,), 2),
    ("Unknown car parked outside the safe house twice", "near_miss", "surveillance",
     PlaceKind.SHELTER, None, (3, 4), 4),
    ("Family member of a survivor threatened on the phone", "threat", "family_friends",
     None, None, (3, 4), 3),
    ("Pushed and shouted at during outreach", "incident", "physical_harm",
     PlaceKind.OUTREACH_SITE, "Dock Road recruiter", (4,), 2),
    ("Inspection visit with no notice, paperwork questioned", "incident", "legal_harassment",
     PlaceKind.OFFICE, None, (2, 3), 3),
    ("Volunteer exhausted after three night shifts", "incident", "psychological_harm",
     None, None, (2,), 3),
    ("Argument between volunteers about sharing a photo", "incident", "internal_conflict",
     PlaceKind.OFFICE, None, (1, 2), 2),
    ("Someone tried the office door at night", "near_miss", "other",
     PlaceKind.OFFICE, None, (2, 3), 2),
]  # fmt: skip
WORDS = (
    "Fictional demo account. It happened around {hour}. We stayed together, left by the usual "
    "route and told the coordinator on the same day."
)


def _pick_stories(rng: random.Random) -> list[tuple]:
    weighted = [story for story in STORIES for _ in range(story[-1])]
    return [rng.choice(weighted) for _ in range(HOW_MANY)]


def _occurred_on(rng: random.Random, index: int) -> datetime:
    """Dates over two years, more of them recently: the recruiter's run grows."""
    today = timezone.localdate()
    days_ago = int(730 * (1 - (index / HOW_MANY) ** 0.7)) + rng.randint(0, 20)
    return today - timedelta(days=min(days_ago, 729))


def _status_for(age_days: int, rng: random.Random) -> str:
    if age_days > 120:
        return Status.CLOSED
    if age_days > 30:
        return rng.choice([Status.MONITORING, Status.CLOSED])
    if age_days > 7:
        return rng.choice([Status.UNDER_REVIEW, Status.ACTION_NEEDED, Status.MONITORING])
    return Status.NEW


def seed(user: User) -> list[str]:
    """Add the demo incidents once, to an empty incident book. `user` (a coordinator) reviews
    and assesses; the demo staff member reports most of them."""
    if Incident.objects.exists():
        return []
    rng = random.Random(20261121)  # noqa: S311 - demo data, the same every run
    staff = User.objects.filter(username="demo-staff").first() or user
    places = {place.kind: place for place in Place.objects.filter(archived=False)}
    actors = {actor.name: actor for actor in Actor.objects.all()}
    people = list(Person.objects.filter(erased_at__isnull=True))
    today = timezone.localdate()
    made: list[Incident] = []
    for index, story in enumerate(_pick_stories(rng)):
        summary, kind, category, place_kind, source_name, severities, _ = story
        occurred = _occurred_on(rng, index)
        age = (today - occurred).days
        at = time(rng.randint(7, 23), rng.choice((0, 15, 30, 45)))
        logged = timezone.make_aware(datetime.combine(occurred, at))
        logged += timedelta(hours=rng.randint(1, 30))
        incident = Incident.objects.create(
            reference=reference_new(),
            kind=kind,
            category=category,
            occurred_on=occurred,
            occurred_time=at,
            approximate=rng.random() < 0.2,
            place=places.get(place_kind),
            summary=summary,
            description=WORDS.format(hour=at.strftime("%H:%M")),
            severity=rng.choice(severities),
            status=_status_for(age, rng),
            visibility=rng.choices(list(Visibility), weights=(16, 3, 1))[0],
            source=actors.get(source_name) if source_name else None,
            affects_organization=place_kind in (PlaceKind.OFFICE, PlaceKind.SHELTER),
            reporter=staff if rng.random() < 0.75 else user,
            lessons="Leave in pairs; call in on arrival." if rng.random() < 0.3 else "",
        )
        if people and rng.random() < 0.4:
            incident.affected_people.set([rng.choice(people)])
        made.append(incident)
        entry = TimelineEntry.objects.create(
            incident=incident, kind=EntryKind.LOGGED, author=incident.reporter
        )
        _backdate(incident, entry, logged, reviewed=incident.status != Status.NEW, rng=rng)
    _assess_the_recruiter_run(made, user)
    _ask_for_a_check_in(made, staff)
    return [f"Demo incidents: {len(made)} over two years (fictional), with a threat assessment."]


def _backdate(
    incident: Incident,
    entry: TimelineEntry,
    logged: datetime,
    *,
    reviewed: bool,
    rng: random.Random,
) -> None:
    """Demo incidents were logged in the past; `update()` touches only unencrypted columns."""
    first_review = logged + timedelta(hours=rng.choice((3, 20, 50, 100, 200))) if reviewed else None
    Incident.objects.filter(pk=incident.pk).update(
        created_at=logged, updated_at=logged, first_reviewed_at=first_review
    )
    TimelineEntry.objects.filter(pk=entry.pk).update(created_at=logged)


def _assess_the_recruiter_run(incidents: list[Incident], coordinator: User) -> None:
    run = [i for i in incidents if i.source and i.source.name == "Dock Road recruiter"]
    if len(run) < 3:
        return
    latest = max(run, key=lambda incident: incident.occurred_on)
    assessment = ThreatAssessment.objects.create(
        incident=latest,
        facts="Fictional: the same man approached women near the station on several nights.",
        pattern="Same place, same wording, always after 21:00.",
        objective="To recruit women we support and to keep us away from the station.",
        actor=latest.source,
        confidence=ThreatAssessment.Confidence.MEDIUM,
        reasoning="He works for the Blue Door network's recruiting side, not its owners.",
        conclusion=ThreatAssessment.Conclusion.LIKELY,
        rationale="He has come closer each time and knows the outreach schedule.",
        assessed_by=coordinator,
    )
    assessment.linked_incidents.set([i for i in run if i != latest][-5:])
    Review.objects.create(
        incident=latest,
        held_on=max(latest.occurred_on, timezone.localdate() - timedelta(days=2)),
        decision=Review.Decision.MEASURES,
        measures="Outreach in pairs only; change the schedule; alert the police liaison.",
        recorded_by=coordinator,
    )
    TimelineEntry.objects.create(
        incident=latest,
        kind=EntryKind.ASSESSMENT,
        new_value=assessment.conclusion,
        author=coordinator,
    )


def _ask_for_a_check_in(incidents: list[Incident], staff: User) -> None:
    """The staff member's latest report asks for someone to check in with them."""
    theirs = [incident for incident in incidents if incident.reporter_id == staff.pk]
    if theirs:
        latest = max(theirs, key=lambda incident: incident.occurred_on)
        Incident.objects.filter(pk=latest.pk).update(welfare_follow_up=True)
