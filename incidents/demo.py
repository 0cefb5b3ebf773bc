"""The incidents' chapter of the demo story (see `safespaces.demo`); any likeness is accidental.

Two years of incidents, drawn from the stories below so that the timeline, trends and patterns
show something: a rising run of contacts by the Dock Road recruiter at the station outreach site,
online harassment after a media appearance, a few near misses and self-caused slips, incidents at
every visibility level. Lin (staff) reports most of them and Rosa (coordinator) the rest; Rosa
moves them on, assesses the recruiter's run, and the team reviews it. Lin's latest report asks
for someone to check in with her.

The draws are seeded, so every run tells the same story.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from allies.models import Actor
from incidents.alerts import serious_alerts_settle, threat_alerts_settle
from incidents.models import (
    EntryKind,
    Incident,
    Review,
    Status,
    ThreatAssessment,
    TimelineEntry,
    Visibility,
)
from incidents.services import (
    assessment_save,
    incident_report,
    incident_set_status,
    review_record,
)
from safespaces.accounts.models import User
from safespaces.demo import COORDINATOR, STAFF, Cast, people_by_alias, places_by_kind
from safespaces.people.models import Person
from safespaces.places.models import Place, PlaceKind


@dataclass(frozen=True)
class Story:
    """Something that happens again and again: `weight` times as often as a story of weight 1."""

    summary: str
    kind: str
    category: str
    place: PlaceKind | None
    source: str | None  # an actor's name in allies/demo.py
    severities: tuple[int, ...]  # one is drawn for each incident
    weight: int


RECRUITER = "Dock Road recruiter"
STORIES = [
    Story("Recruiter approached a woman we support", "threat", "recruitment",
          PlaceKind.OUTREACH_SITE, RECRUITER, (3, 4), 9),
    Story("Man from the old house watched the outreach van", "incident", "surveillance",
          PlaceKind.OUTREACH_SITE, "The Blue Door network", (2, 3), 7),
    Story("Message from a former exploiter", "threat", "former_exploiters",
          None, "The Blue Door network", (3, 4, 5), 6),
    Story("Hostile comments after the radio interview", "incident", "defamation",
          None, "Weekly Tattler", (2, 3), 5),
    Story("Article naming the shelter's street", "incident", "defamation",
          PlaceKind.SHELTER, "Weekly Tattler", (4,), 1),
    Story("Phone with case notes left on the bus", "incident", "digital",
          None, None, (3,), 2),
    Story("Shared the outreach rota in an open group by mistake", "near_miss", "digital",
          None, None, (2,), 2),
    Story("Unknown car parked outside the safe house twice", "near_miss", "surveillance",
          PlaceKind.SHELTER, None, (3, 4), 4),
    Story("Family member of a survivor threatened on the phone", "threat", "family_friends",
          None, None, (3, 4), 3),
    Story("Pushed and shouted at during outreach", "incident", "physical_harm",
          PlaceKind.OUTREACH_SITE, RECRUITER, (4,), 2),
    Story("Inspection visit with no notice, paperwork questioned", "incident", "legal_harassment",
          PlaceKind.OFFICE, None, (2, 3), 3),
    Story("Volunteer exhausted after three night shifts", "incident", "psychological_harm",
          None, None, (2,), 3),
    Story("Argument between volunteers about sharing a photo", "incident", "internal_conflict",
          PlaceKind.OFFICE, None, (1, 2), 2),
    Story("Someone tried the office door at night", "near_miss", "other",
          PlaceKind.OFFICE, None, (2, 3), 2),
]  # fmt: skip
WORDS = (
    "Fictional demo account. It happened around {hour}. We stayed together, left by the usual "
    "route and told the coordinator on the same day."
)

# How the incidents spread over the two years.
HOW_MANY = 140
OVER_DAYS = 730  # more of them recently: the recruiter's run grows
RANDOM_SEED = 20261121
VISIBILITY_WEIGHTS = {Visibility.TEAM: 16, Visibility.COORDINATORS: 3, Visibility.NAMED: 1}
SHARE_REPORTED_BY_STAFF = 0.75  # the coordinator reports the rest
SHARE_APPROXIMATE = 0.2
SHARE_WITH_LESSONS = 0.3
SHARE_AFFECTING_A_PERSON = 0.4
LESSONS = "Leave in pairs; call in on arrival."
# Where an incident stands by its age in days (older than the first number): the oldest are
# closed, the newest still new. The coordinator moves them on, some hours after the report.
STATUS_BY_AGE: list[tuple[int, tuple[Status, ...]]] = [
    (120, (Status.CLOSED,)),
    (30, (Status.MONITORING, Status.CLOSED)),
    (7, (Status.UNDER_REVIEW, Status.ACTION_NEEDED, Status.MONITORING)),
    (-1, (Status.NEW,)),
]
HOURS_TO_REPORT = (1, 30)
HOURS_TO_FIRST_LOOK = (3, 20, 50, 100, 200)


@dataclass(frozen=True)
class RunAssessment:
    """The coordinator's threat assessment of the latest incident of a source's run, linked to
    the five before it, and the team's review of it `reviewed_days_ago`."""

    source: str
    facts: str
    pattern: str
    objective: str
    confidence: str
    reasoning: str
    conclusion: str
    rationale: str
    review_decision: str
    review_measures: str
    reviewed_days_ago: int


ASSESSED = [  # the five steps' fields, for the audit event
    "facts", "linked_incidents", "pattern", "objective", "actor", "confidence", "reasoning",
    "conclusion", "rationale",
]  # fmt: skip
RECRUITER_RUN = RunAssessment(
    source=RECRUITER,
    facts="Fictional: the same man approached women near the station on several nights.",
    pattern="Same place, same wording, always after 21:00.",
    objective="To recruit women we support and to keep us away from the station.",
    confidence=ThreatAssessment.Confidence.MEDIUM,
    reasoning="He works for the Blue Door network's recruiting side, not its owners.",
    conclusion=ThreatAssessment.Conclusion.LIKELY,
    rationale="He has come closer each time and knows the outreach schedule.",
    review_decision=Review.Decision.MEASURES,
    review_measures="Outreach in pairs only; change the schedule; alert the police liaison.",
    reviewed_days_ago=2,
)


# --- The builder -------------------------------------------------------------------------------


@dataclass
class Drawn:
    """One incident as drawn from the stories, before it is reported."""

    story: Story
    occurred_on: date
    at: time
    reported_at: datetime
    approximate: bool
    severity: int
    status: Status
    visibility: str
    reporter: str  # a demo login
    lessons: str
    person: Person | None
    first_look_at: datetime | None
    asks_for_check_in: bool = False


def _occurred_on(rng: random.Random, index: int, today: date) -> date:
    days_ago = int(OVER_DAYS * (1 - (index / HOW_MANY) ** 0.7)) + rng.randint(0, 20)
    return today - timedelta(days=min(days_ago, OVER_DAYS - 1))


def _status(rng: random.Random, age_days: int) -> Status:
    statuses = next(choices for older, choices in STATUS_BY_AGE if age_days > older)
    return statuses[0] if len(statuses) == 1 else rng.choice(statuses)


def _draw(rng: random.Random, people: list[Person]) -> list[Drawn]:
    """The incidents, oldest first give or take a few days. The order of the draws is the
    story: keep it."""
    today, now = timezone.localdate(), timezone.now()
    weighted = [story for story in STORIES for _ in range(story.weight)]
    stories = [rng.choice(weighted) for _ in range(HOW_MANY)]
    drawn = []
    for index, story in enumerate(stories):
        occurred = _occurred_on(rng, index, today)
        at = time(rng.randint(7, 23), rng.choice((0, 15, 30, 45)))
        reported = timezone.make_aware(datetime.combine(occurred, at))
        reported += timedelta(hours=rng.randint(*HOURS_TO_REPORT))
        approximate = rng.random() < SHARE_APPROXIMATE
        severity = rng.choice(story.severities)
        status = _status(rng, (today - occurred).days)
        visibility = rng.choices(list(VISIBILITY_WEIGHTS), list(VISIBILITY_WEIGHTS.values()))[0]
        reporter = STAFF if rng.random() < SHARE_REPORTED_BY_STAFF else COORDINATOR
        lessons = LESSONS if rng.random() < SHARE_WITH_LESSONS else ""
        person = rng.choice(people) if people and rng.random() < SHARE_AFFECTING_A_PERSON else None
        first_look = None
        if status != Status.NEW:
            # Never in the future: a recent incident may have been looked at within hours.
            first_look = reported + timedelta(hours=rng.choice(HOURS_TO_FIRST_LOOK))
            first_look = min(first_look, now)
        drawn.append(
            Drawn(
                story=story,
                occurred_on=occurred,
                at=at,
                reported_at=reported,
                approximate=approximate,
                severity=severity,
                status=status,
                visibility=visibility,
                reporter=reporter,
                lessons=lessons,
                person=person,
                first_look_at=first_look,
            )
        )
    return drawn


def _report(row: Drawn, cast: Cast, places: dict[str, Place], actors: dict[str, Actor]) -> Incident:
    """Report the incident as its reporter would, then move it on as the coordinator would, and
    date both when they happened (`update()` touches only unencrypted columns)."""
    story = row.story
    incident = incident_report(
        incident=Incident(
            kind=story.kind,
            category=story.category,
            occurred_on=row.occurred_on,
            occurred_time=row.at,
            approximate=row.approximate,
            place=places.get(story.place) if story.place else None,
            summary=story.summary,
            description=WORDS.format(hour=row.at.strftime("%H:%M")),
            severity=row.severity,
            visibility=row.visibility,
            source=actors.get(story.source) if story.source else None,
            affects_organization=story.place in (PlaceKind.OFFICE, PlaceKind.SHELTER),
            welfare_follow_up=row.asks_for_check_in,
            lessons=row.lessons,
        ),
        affected_people=[row.person] if row.person else [],
        shared_with=[],
        by=cast[row.reporter],
    )
    if row.status != Status.NEW:
        incident = incident_set_status(incident=incident, status=row.status, by=cast[COORDINATOR])
    Incident.objects.filter(pk=incident.pk).update(
        created_at=row.reported_at, updated_at=row.reported_at, first_reviewed_at=row.first_look_at
    )
    entries = TimelineEntry.objects.filter(incident=incident)
    entries.filter(kind=EntryKind.LOGGED).update(created_at=row.reported_at)
    entries.filter(kind=EntryKind.STATUS).update(created_at=row.first_look_at)
    return incident


def _assess_run(run: RunAssessment, incidents: list[Incident], by: User) -> None:
    theirs = [i for i in incidents if i.source and i.source.name == run.source]
    if len(theirs) < 3:
        return
    latest = max(theirs, key=lambda incident: incident.occurred_on)
    assessment = ThreatAssessment(
        incident=latest,
        facts=run.facts,
        pattern=run.pattern,
        objective=run.objective,
        actor=latest.source,
        confidence=run.confidence,
        reasoning=run.reasoning,
        conclusion=run.conclusion,
        rationale=run.rationale,
    )
    assessment_save(
        assessment=assessment,
        seen_version=None,
        linked=[i for i in theirs if i != latest][-5:],
        changed=ASSESSED,
        by=by,
    )
    review = Review(
        incident=latest,
        held_on=max(
            latest.occurred_on, timezone.localdate() - timedelta(days=run.reviewed_days_ago)
        ),
        decision=run.review_decision,
        measures=run.review_measures,
    )
    review_record(review=review, participants=[], by=by)
    # The team has reviewed it since: the alert the likely threat raised is answered.
    threat_alerts_settle(latest)


def seed(user: User) -> list[str]:
    """Add the demo incidents once, to an empty incident book. `user` plays any missing demo
    user."""
    if Incident.objects.exists():
        return []
    cast = Cast(user)
    rng = random.Random(RANDOM_SEED)  # noqa: S311 - demo data, the same every run
    drawn = _draw(rng, list(people_by_alias().values()))
    # The staff member's latest report asks for someone to check in with them.
    staff = cast[STAFF]
    theirs = [row for row in drawn if cast[row.reporter] == staff]
    if theirs:
        max(theirs, key=lambda row: row.occurred_on).asks_for_check_in = True
    places = places_by_kind()
    actors = {actor.name: actor for actor in Actor.objects.all()}
    made = [_report(row, cast, places, actors) for row in drawn]
    # The story's serious incidents were seen when they happened: only the open check-in request
    # is still new in the coordinators' inbox.
    for incident in made:
        serious_alerts_settle(incident)
    _assess_run(RECRUITER_RUN, made, cast[COORDINATOR])
    return [f"Demo incidents: {len(made)} over two years (fictional), with a threat assessment."]
