"""Fictional risk situations for `seed_demo`; any likeness is accidental.

Runs after the incidents demo (INSTALLED_APPS order) and leans on it: the Thursday night outreach
is linked to the recruiter's run at the station, and the shelter's assessment is dated before the
latest incidents at the safe house, so it shows as due for reassessment. Chosen so that every part
of the risk pages shows something: a credible threat, a trend over two versions, an approval
given and one waiting, overdue measures for staff and for the coordinator, a decision past its
date, an assessment still in progress, and a safety plan staff can open.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from allies.models import Actor
from incidents.models import Incident
from riskassessment import services
from riskassessment.forms import PRESETS
from riskassessment.models import (
    Alternative,
    Assessment,
    Capacity,
    Measure,
    RiskSituation,
    Threat,
    Vulnerability,
)
from safespaces.accounts.models import User
from safespaces.people.models import Person
from safespaces.places.models import Place, PlaceKind

Kind = RiskSituation.Kind
Trigger = Assessment.Trigger
Decision = Assessment.Decision
MeasureKind = Measure.Kind
MeasureStatus = Measure.Status


@dataclass
class ThreatRow:
    description: str
    rating: tuple[int, int]  # likelihood, impact
    residual: tuple[int, int] | None = None
    source: str | None = None  # an actor's name in allies/demo.py
    factors: list[str] = field(default_factory=list)


def _add_items(
    assessment: Assessment,
    *,
    threats: list[ThreatRow],
    vulnerabilities: list[tuple[str, str, int, list[str]]],
    capacities: list[tuple[str, str, int, int | None]],
    actors: dict[str, Actor],
    linked: list[Incident] = (),  # type: ignore[assignment]
) -> list[Threat]:
    """Create the rows the assessment pages' formsets would: threats, then vulnerabilities,
    then capacities (a capacity may answer a vulnerability, by its index in the list)."""
    made = []
    for position, row in enumerate(threats):
        residual = row.residual or (None, None)
        threat = Threat.objects.create(
            assessment=assessment,
            position=position,
            description=row.description,
            factors=row.factors,
            source=actors.get(row.source) if row.source else None,
            likelihood=row.rating[0],
            impact=row.rating[1],
            residual_likelihood=residual[0],
            residual_impact=residual[1],
        )
        if row.source == "Dock Road recruiter" and linked:
            threat.linked_incidents.set(linked)
        made.append(threat)
    answered = []
    for position, (description, category, level, factors) in enumerate(vulnerabilities):
        answered.append(
            Vulnerability.objects.create(
                assessment=assessment,
                position=position,
                description=description,
                category=category,
                level=level,
                factors=factors,
            )
        )
    for position, (description, category, level, answers) in enumerate(capacities):
        Capacity.objects.create(
            assessment=assessment,
            position=position,
            description=description,
            category=category,
            level=level,
            answers=answered[answers] if answers is not None else None,
        )
    return made


def _rate(
    assessment: Assessment,
    inherent: tuple[int, int, int],
    residual: tuple[int, int, int] | None,
    lens: str = "",
) -> None:
    """Threat, vulnerability and capacity, before and after the measures, with their levels."""
    assessment.threat, assessment.vulnerability, assessment.capacity = inherent
    if residual:
        (
            assessment.residual_threat,
            assessment.residual_vulnerability,
            assessment.residual_capacity,
        ) = residual
    if lens:
        assessment.lens_notes = lens
    services.levels_refresh(assessment)
    assessment.version += 1
    assessment.save()


def _decide(
    assessment: Assessment, decision: str, rationale: str, valid_until: date, by: User
) -> None:
    assessment.decision = decision
    assessment.rationale = rationale
    assessment.valid_until = valid_until
    services.assessment_decide(
        assessment=assessment,
        seen_version=assessment.version,
        changed=["decision", "rationale", "valid_until"],
        by=by,
    )


def _backdate(situation: RiskSituation, assessment: Assessment, when: datetime) -> None:
    """Demo assessments were made in the past; `update()` touches only unencrypted columns."""
    RiskSituation.objects.filter(pk=situation.pk, created_at__gt=when).update(created_at=when)
    Assessment.objects.filter(pk=assessment.pk).update(created_at=when)
    Assessment.objects.filter(pk=assessment.pk, decided_at__isnull=False).update(
        decided_at=when + timedelta(days=1)
    )
    Assessment.objects.filter(pk=assessment.pk, approved_at__isnull=False).update(
        approved_at=when + timedelta(days=2)
    )


def _measure(
    situation: RiskSituation,
    kind: str,
    description: str,
    *,
    owner: User | None,
    due_on: date | None,
    by: User,
    status: str = MeasureStatus.PLANNED,
    ally: Actor | None = None,
    threat: Threat | None = None,
    vulnerability: Vulnerability | None = None,
) -> Measure:
    return services.measure_add(
        measure=Measure(
            situation=situation,
            kind=kind,
            description=description,
            owner=owner,
            due_on=due_on,
            status=status,
            ally=ally,
            threat=threat,
            vulnerability=vulnerability,
        ),
        by=by,
    )


def _situation(
    *,
    kind: str,
    title: str,
    objective: str,
    by: User,
    participants: list[User] = (),  # type: ignore[assignment]
    people: list[Person] = (),  # type: ignore[assignment]
    incidents: list[Incident] = (),  # type: ignore[assignment]
    **fields: Any,
) -> RiskSituation:
    return services.situation_create(
        situation=RiskSituation(kind=kind, title=title, objective=objective, **fields),
        participants=participants,
        people=people,
        incidents=incidents,
        by=by,
    )


def seed(user: User) -> list[str]:
    """Add the demo situations once, to an empty register (titles are encrypted and cannot be
    looked up). `user` (a coordinator) assesses most of them; the demo administrator approves."""
    if RiskSituation.objects.exists():
        return []
    admin = User.objects.filter(username="demo-admin").first() or user
    staff = User.objects.filter(username="demo-staff").first() or user
    today = timezone.localdate()
    now = timezone.now()
    places = {place.kind: place for place in Place.objects.filter(archived=False)}
    actors = {actor.name: actor for actor in Actor.objects.all()}
    people = {person.alias: person for person in Person.objects.filter(erased_at__isnull=True)}
    station = places.get(PlaceKind.OUTREACH_SITE)
    shelter = places.get(PlaceKind.SHELTER)
    seeded = [
        _outreach(user, admin, staff, station, actors, people, today, now),
        _advocacy(user, staff, actors, today),
        _media(user, staff, actors, today),
        _court(user, admin, staff, actors, people, today),
        _travel(user, staff, actors, today),
        _shelter(user, staff, shelter, today, now),
        _online(user, staff, today, now),
        _burnout(user, staff, today),
        _data_security(user, staff, today),
    ]
    return [
        f"Demo risk situations: {len(seeded)}, with assessments, measures and a safety plan "
        "(fictional)."
    ]


def _outreach(
    coordinator: User,
    admin: User,
    staff: User,
    station: Place | None,
    actors: dict[str, Actor],
    people: dict[str, Person],
    today: date,
    now: datetime,
) -> RiskSituation:
    """Two versions: the recruiter's run at the station made the risk go up."""
    recruiter = actors.get("Dock Road recruiter")
    run = list(
        Incident.objects.filter(source=recruiter, place=station).order_by("-occurred_on")[:5]
        if recruiter and station
        else []
    )
    situation = _situation(
        kind=Kind.OUTREACH,
        title="Thursday night outreach at the station",
        objective=(
            "Meet women in exploitation around the central station, offer health kits and tell "
            "them where to find help, without drawing the recruiters' attention to them."
        ),
        place=station,
        starts_on=today - timedelta(days=150),
        participants=[staff, coordinator],
        people=[people["Kestrel"]] if "Kestrel" in people else [],
        incidents=run,
        check_in_with=coordinator,
        check_in_when=(
            "A message on arrival at the station, at 22:00, and when everyone is home. "
            "Only on the work phones."
        ),
        check_in_missed=(
            "After 20 minutes the coordinator calls the team leader, then the second worker. "
            "After 40 minutes she calls the station police liaison and the demo administrator."
        ),
        review_every_months=3,
        by=coordinator,
    )
    first = services.assessment_start(
        situation=situation, trigger=Trigger.DESIGN, linked=[], by=coordinator
    )
    _add_items(
        first,
        threats=[
            ThreatRow(
                "The Dock Road recruiter approaches women we talk to, and follows the van.",
                (2, 4),
                source="Dock Road recruiter",
                factors=["gender", "migration"],
            ),
            ThreatRow(
                "Men from the Blue Door network watch the van and note who comes to it.",
                (2, 3),
                source="The Blue Door network",
            ),
        ],
        vulnerabilities=[
            ("The night and the route have been the same for a year.", "information", 3, []),
            ("Two volunteers have no work phone.", "communication", 3, []),
        ],
        capacities=[
            ("Check-in routine with the coordinator on duty.", "communication", 3, 1),
            ("Good contact with the station police liaison.", "allies", 3, None),
        ],
        actors=actors,
    )
    _rate(first, (2, 3, 3), (2, 2, 3))
    _decide(
        first,
        Decision.GO_WITH_MEASURES,
        "Fictional: the outreach reaches women nobody else reaches; the risk is moderate with "
        "check-ins and pairs.",
        today - timedelta(days=30),
        coordinator,
    )
    _backdate(situation, first, now - timedelta(days=120))

    second = services.assessment_start(
        situation=situation, trigger=Trigger.AFTER_INCIDENT, linked=run[:1], by=coordinator
    )
    threats = list(second.threats.order_by("position"))
    # The recruiter came closer each time: the threat is now credible and current.
    Threat.objects.filter(pk=threats[0].pk).update(
        likelihood=4, impact=4, residual_likelihood=3, residual_impact=4
    )
    threats[0].linked_incidents.set(run)
    Threat.objects.filter(pk=threats[1].pk).update(
        likelihood=3, impact=3, residual_likelihood=2, residual_impact=3
    )
    pushed = Threat.objects.create(
        assessment=second,
        position=2,
        description="Someone on the team is pushed or hurt in a confrontation.",
        likelihood=2,
        impact=5,
        residual_likelihood=1,
        residual_impact=5,
        factors=["gender"],
    )
    Vulnerability.objects.create(
        assessment=second,
        position=2,
        description="Volunteers with an insecure migration status fear calling the police.",
        category="legal",
        level=4,
        factors=["migration"],
    )
    Capacity.objects.create(
        assessment=second,
        position=2,
        description="The team was trained in de-escalation last spring.",
        category="training",
        level=3,
    )
    _rate(
        second,
        (4, 4, 3),
        (3, 3, 4),
        lens=(
            "Fictional: the recruiter targets young women without papers; the two volunteers "
            "who are survivors themselves are more exposed to being recognised."
        ),
    )
    _decide(
        second,
        Decision.GO_WITH_MEASURES,
        "Fictional: stopping would leave the women alone with the recruiter. We go on, in pairs, "
        "on changing nights, with the police liaison told, and look again in a month.",
        today + timedelta(days=35),
        coordinator,
    )
    services.assessment_approve(assessment=second, by=admin)

    recruiter_threat = threats[0]
    vulnerabilities = list(second.vulnerabilities.order_by("position"))
    liaison = actors.get("Station police liaison")
    _measure(
        situation,
        MeasureKind.REDUCE_THREAT,
        "Change the outreach night and route every month; tell only the team.",
        owner=coordinator,
        due_on=today + timedelta(days=10),
        status=MeasureStatus.IN_PROGRESS,
        threat=recruiter_threat,
        by=coordinator,
    )
    _measure(
        situation,
        MeasureKind.MOBILIZE_ALLIES,
        "Ask the station police liaison for a patrol between 21:00 and 23:00 on outreach nights.",
        owner=coordinator,
        due_on=today - timedelta(days=6),
        ally=liaison,
        threat=recruiter_threat,
        by=coordinator,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Work phones with the check-in group for the two volunteers.",
        owner=staff,
        due_on=today - timedelta(days=12),
        vulnerability=vulnerabilities[1] if len(vulnerabilities) > 1 else None,
        by=coordinator,
    )
    _measure(
        situation,
        MeasureKind.BUILD_CAPACITY,
        "De-escalation refresher for the whole outreach team.",
        owner=staff,
        due_on=today + timedelta(days=30),
        threat=pushed,
        by=coordinator,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Outreach in pairs only, never alone, and never out of sight of the van.",
        owner=coordinator,
        due_on=today - timedelta(days=60),
        status=MeasureStatus.DONE,
        by=coordinator,
    )
    return situation


def _advocacy(
    coordinator: User, staff: User, actors: dict[str, Actor], today: date
) -> RiskSituation:
    situation = _situation(
        kind=Kind.ADVOCACY,
        title="Survivor voices rally in the town hall square",
        objective=(
            "Ask the council to fund exit programmes, with survivors speaking for themselves."
        ),
        starts_on=today + timedelta(days=24),
        ends_on=today + timedelta(days=24),
        participants=[staff, coordinator],
        check_in_with=coordinator,
        check_in_when="When the speakers arrive, after the speeches, and when they are home.",
        check_in_missed="The coordinator calls after 30 minutes, then the speaker's buddy.",
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.BEFORE, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow(
                "The Weekly Tattler photographs survivor speakers and prints their names.",
                (3, 4),
                (2, 3),
                source="Weekly Tattler",
                factors=["survivor"],
            ),
            ThreatRow("Counter-protesters shout at or jostle the speakers.", (2, 3), (2, 2)),
        ],
        vulnerabilities=[
            ("Speakers' faces are known from earlier campaigns.", "information", 3, ["survivor"]),
        ],
        capacities=[
            ("Stewards from Survivors Together, briefed on the day.", "allies", 4, None),
            (
                "Speakers can use a first name only or speak from behind the banner.",
                "physical",
                3,
                0,
            ),
        ],
        actors=actors,
    )
    _rate(assessment, (3, 3, 3), (2, 2, 4))
    _decide(
        assessment,
        Decision.GO_WITH_MEASURES,
        "Fictional: the council votes next month; the measures keep the speakers' choice "
        "about being seen.",
        today + timedelta(days=30),
        coordinator,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_THREAT,
        "Agree a no-photo zone for speakers with the organizers and the press desk.",
        owner=staff,
        due_on=today + timedelta(days=14),
        by=coordinator,
    )
    _measure(
        situation,
        MeasureKind.MOBILIZE_ALLIES,
        "Brief the stewards from Survivors Together on the exit routes.",
        owner=coordinator,
        due_on=today + timedelta(days=20),
        ally=actors.get("Survivors Together"),
        by=coordinator,
    )
    return situation


def _media(coordinator: User, staff: User, actors: dict[str, Actor], today: date) -> RiskSituation:
    situation = _situation(
        kind=Kind.MEDIA,
        title="Radio interview on the spring campaign",
        objective="Explain the campaign to a wide audience, with a survivor speaking by choice.",
        starts_on=today + timedelta(days=9),
        ends_on=today + timedelta(days=9),
        participants=[coordinator],
        check_in_with=coordinator,
        check_in_when="Before and after the recording.",
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.BEFORE, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow(
                "Hostile comments and messages online after the interview airs.",
                (4, 2),
                (3, 2),
                source="Weekly Tattler",
                factors=["gender"],
            ),
            ThreatRow(
                "The survivor is recognised by her voice or her story.",
                (2, 5),
                (1, 5),
                None,
                ["survivor"],
            ),
        ],
        vulnerabilities=[
            ("Details of the story could point to one person.", "information", 3, ["survivor"]),
        ],
        capacities=[
            ("Pre-recorded, with the right to cut anything afterwards.", "communication", 4, 0),
        ],
        actors=actors,
    )
    _rate(assessment, (3, 3, 3), (2, 2, 4))
    _decide(
        assessment,
        Decision.GO_WITH_MEASURES,
        "Fictional: the voice is altered and the story changed enough; comments are moderated.",
        today + timedelta(days=40),
        coordinator,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Agree in writing that her voice is altered and the town is not named.",
        owner=coordinator,
        due_on=today + timedelta(days=5),
        by=coordinator,
    )
    return situation


def _court(
    coordinator: User,
    admin: User,
    staff: User,
    actors: dict[str, Actor],
    people: dict[str, Person],
    today: date,
) -> RiskSituation:
    """Decided by the administrator; the risk stays high, so it waits for the coordinator."""
    situation = _situation(
        kind=Kind.COURT,
        title="Court accompaniment for Heron's hearing",
        objective="Heron gives her evidence safely and feels supported from door to door.",
        starts_on=today + timedelta(days=16),
        ends_on=today + timedelta(days=16),
        participants=[staff],
        people=[people["Heron"]] if "Heron" in people else [],
        check_in_with=admin,
        check_in_when="Leaving the shelter, at the court, after the hearing, back at the shelter.",
        check_in_missed=(
            "After 15 minutes the administrator calls the worker; after 30, the legal clinic "
            "and the police."
        ),
        by=admin,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.BEFORE, linked=[], by=admin
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow(
                "Members of the Blue Door network wait outside the court to intimidate Heron.",
                (4, 4),
                (3, 4),
                source="The Blue Door network",
                factors=["gender", "survivor"],
            ),
            ThreatRow(
                "The defence names the shelter's area in open court.",
                (2, 4),
                (2, 3),
            ),
        ],
        vulnerabilities=[
            ("The hearing's date and place are public.", "information", 4, []),
            ("Heron has to wait in the public hallway.", "physical", 4, ["survivor"]),
        ],
        capacities=[
            ("Northtown Legal Clinic asked for a separate waiting room.", "legal", 3, 1),
        ],
        actors=actors,
    )
    _rate(assessment, (4, 4, 3), (3, 3, 3))
    Alternative.objects.create(
        assessment=assessment,
        description="Heron gives evidence by video link from the legal clinic.",
        level=2,
    )
    _decide(
        assessment,
        Decision.GO_WITH_MEASURES,
        "Fictional: Heron wants to be there in person. We go with a separate entrance, two "
        "workers and the legal clinic; the video link stays ready if she changes her mind.",
        today + timedelta(days=20),
        admin,
    )
    _measure(
        situation,
        MeasureKind.MOBILIZE_ALLIES,
        "Ask the court, through the legal clinic, for a separate entrance and waiting room.",
        owner=coordinator,
        due_on=today + timedelta(days=7),
        ally=actors.get("Northtown Legal Clinic"),
        by=admin,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Book a taxi from the shelter's back entrance, both ways.",
        owner=staff,
        due_on=today + timedelta(days=14),
        by=admin,
    )
    return situation


def _travel(coordinator: User, staff: User, actors: dict[str, Actor], today: date) -> RiskSituation:
    situation = _situation(
        kind=Kind.TRAVEL,
        title="Travel to the regional survivors' conference",
        objective="Present our peer-support model and meet funders.",
        starts_on=today + timedelta(days=45),
        ends_on=today + timedelta(days=48),
        participants=[staff, coordinator],
        check_in_with=coordinator,
        check_in_when="Every evening at 21:00 and on each arrival.",
        check_in_missed="The office calls the hotel after one hour, then the consular section.",
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.DESIGN, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow("Laptops with case files searched at the border.", (2, 4), (1, 4)),
            ThreatRow("Followed from the airport by someone linked to our adversaries.", (1, 4)),
        ],
        vulnerabilities=[("No travel laptop without case files.", "information", 2, [])],
        capacities=[("The consular section knows we travel.", "allies", 3, None)],
        actors=actors,
    )
    _rate(assessment, (2, 2, 4), (1, 2, 4))
    _decide(
        assessment,
        Decision.GO,
        "Fictional: the risk is low once travel laptops carry no case files.",
        today + timedelta(days=50),
        coordinator,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Set up a travel laptop with no case files on it.",
        owner=staff,
        due_on=today + timedelta(days=30),
        by=coordinator,
    )
    return situation


def _shelter(
    coordinator: User,
    staff: User,
    shelter: Place | None,
    today: date,
    now: datetime,
) -> RiskSituation:
    """Assessed before the latest incidents at the safe house: due for reassessment."""
    situation = _situation(
        kind=Kind.PREMISES,
        title="Safe house operations",
        objective="Give women a safe place to stay while they decide what comes next.",
        place=shelter,
        participants=[staff],
        check_in_with=coordinator,
        check_in_when="The night worker calls in at 23:00 and at 07:00.",
        check_in_missed="The coordinator calls the house phone, then goes with a second person.",
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.PERIODIC, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow("The address becomes known to exploiters.", (2, 5), (2, 4)),
            ThreatRow(
                "A resident's former partner finds her and comes to the door.", (3, 3), (2, 3)
            ),
        ],
        vulnerabilities=[
            ("Residents' phones may still share their location.", "information", 4, []),
            ("Only one worker on nights.", "resources", 3, []),
        ],
        capacities=[
            ("Phone check with every new resident on arrival.", "information", 3, 0),
            ("Harbourside Women's Shelter takes residents at short notice.", "allies", 4, None),
        ],
        actors={},
    )
    _rate(assessment, (3, 4, 3), (2, 3, 4))
    _decide(
        assessment,
        Decision.GO_WITH_MEASURES,
        "Fictional: the house is needed; the phone checks lower the main risk.",
        today + timedelta(days=90),
        coordinator,
    )
    latest_there = (
        Incident.objects.filter(place=shelter).order_by("-created_at").first() if shelter else None
    )
    when = latest_there.created_at - timedelta(days=10) if latest_there else now
    _backdate(situation, assessment, min(when, now))
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Phone safety check with every resident in the house now.",
        owner=staff,
        due_on=today - timedelta(days=3),
        status=MeasureStatus.IN_PROGRESS,
        by=coordinator,
    )
    return situation


def _online(coordinator: User, staff: User, today: date, now: datetime) -> RiskSituation:
    """Its decision held until two weeks ago: due for reassessment."""
    situation = _situation(
        kind=Kind.ONLINE,
        title="Online campaign: #NotForSale",
        objective="Reach young people before recruiters do, on the apps they use.",
        starts_on=today - timedelta(days=130),
        participants=[staff],
        check_in_with=coordinator,
        check_in_when="Weekly, at the team meeting; at once after any threat.",
        check_in_missed="The coordinator asks at the next day's meeting.",
        review_every_months=6,
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.DESIGN, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow(
                "Organised trolling of the accounts and of the staff who post.",
                (4, 2),
                (3, 2),
                None,
                ["gender"],
            ),
            ThreatRow("A staff member's personal account is found and exposed.", (2, 4), (1, 4)),
        ],
        vulnerabilities=[("Staff post from their own phones.", "communication", 3, [])],
        capacities=[
            ("Two people moderate; nobody reads the comments alone.", "wellbeing", 3, None)
        ],
        actors={},
    )
    _rate(assessment, (3, 3, 3), (2, 2, 3))
    _decide(
        assessment,
        Decision.GO_WITH_MEASURES,
        "Fictional: the campaign reaches people we cannot reach otherwise.",
        today - timedelta(days=14),
        coordinator,
    )
    _backdate(situation, assessment, now - timedelta(days=125))
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Separate work accounts and a work phone for posting.",
        owner=staff,
        due_on=today - timedelta(days=20),
        by=coordinator,
    )
    return situation


def _burnout(coordinator: User, staff: User, today: date) -> RiskSituation:
    title, objective = PRESETS["burnout"]
    situation = _situation(
        kind=Kind.ORGANIZATIONAL,
        title=str(title),
        objective=str(objective),
        participants=[staff, coordinator],
        review_every_months=6,
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.PERIODIC, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow(
                "Night shifts and hard stories, week after week, wear the team down.",
                (4, 3),
                (3, 3),
                factors=["survivor"],
            ),
            ThreatRow(
                "A survivor worker is re-traumatised by a case like her own.",
                (3, 4),
                (2, 4),
                None,
                ["survivor"],
            ),
        ],
        vulnerabilities=[
            ("No supervision since the counsellor left.", "wellbeing", 4, []),
            ("Three people cover all the night shifts.", "resources", 4, []),
        ],
        capacities=[
            ("Peer support circle every second Friday.", "wellbeing", 3, 0),
        ],
        actors={},
    )
    _rate(assessment, (3, 4, 2), (3, 3, 3))
    _decide(
        assessment,
        Decision.GO_WITH_MEASURES,
        "Fictional: supervision comes back this month, and the rota caps night shifts.",
        today + timedelta(days=120),
        coordinator,
    )
    _measure(
        situation,
        MeasureKind.BUILD_CAPACITY,
        "Monthly supervision with an external counsellor.",
        owner=coordinator,
        due_on=today - timedelta(days=9),
        by=coordinator,
    )
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "A rota with at most two night shifts a week per person.",
        owner=staff,
        due_on=today - timedelta(days=4),
        status=MeasureStatus.IN_PROGRESS,
        by=coordinator,
    )
    return situation


def _data_security(coordinator: User, staff: User, today: date) -> RiskSituation:
    """An assessment still in progress: listed and rated, not decided yet."""
    title, objective = PRESETS["data"]
    situation = _situation(
        kind=Kind.ORGANIZATIONAL,
        title=str(title),
        objective=str(objective),
        participants=[staff],
        review_every_months=12,
        by=coordinator,
    )
    assessment = services.assessment_start(
        situation=situation, trigger=Trigger.PERIODIC, linked=[], by=coordinator
    )
    _add_items(
        assessment,
        threats=[
            ThreatRow("A phone with case notes is lost or stolen.", (3, 4), (2, 2)),
            ThreatRow("Phishing messages aimed at staff accounts.", (3, 4), (2, 3)),
        ],
        vulnerabilities=[
            ("Some work phones have no screen lock.", "information", 3, []),
            ("Volunteers share one shared-drive login.", "information", 4, []),
        ],
        capacities=[
            ("SafeSpaces keeps case notes encrypted, off the phones.", "information", 4, 0),
        ],
        actors={},
    )
    _rate(assessment, (3, 4, 3), (2, 2, 4))
    _measure(
        situation,
        MeasureKind.REDUCE_VULNERABILITY,
        "Screen lock and encryption on every work phone.",
        owner=staff,
        due_on=today - timedelta(days=15),
        by=coordinator,
    )
    return situation
