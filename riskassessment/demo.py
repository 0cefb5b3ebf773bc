"""The risk register's chapter of the demo story (see `safespaces.demo`); any likeness is
accidental.

Seeded after the allies and incidents (it names their actors and links their incidents). Chosen
so that every part of the risk pages shows something:
- the Thursday night outreach at the station, assessed twice: the recruiter's run made the risk
  go up, and the administrator approved the new decision;
- Heron's court hearing, decided by the administrator with the risk still high: it waits for a
  coordinator's approval;
- the safe house, assessed before the latest incidents there, and the online campaign, whose
  decision held until two weeks ago: both due for reassessment;
- overdue measures for staff and for the coordinator, a measure done, an assessment still in
  progress (data security), and a safety plan staff can open (the outreach's).

Days are counted from today: negative in the past.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final, Literal

from django.utils import timezone

from allies.models import Actor
from incidents.models import Incident
from riskassessment.forms import PRESETS
from riskassessment.models import (
    Alternative,
    Assessment,
    Capacity,
    Decision,
    Measure,
    MeasureKind,
    MeasureStatus,
    RiskSituation,
    SituationKind,
    Threat,
    Trigger,
    Vulnerability,
)
from riskassessment.scoring import Level
from riskassessment.services import (
    assessment_approve,
    assessment_decide,
    assessment_rate,
    assessment_start,
    measure_add,
    situation_create,
)
from safespaces.accounts.models import User
from safespaces.demo import ADMINISTRATOR, COORDINATOR, STAFF, Cast, people_by_alias, places_by_kind
from safespaces.places.models import Place, PlaceKind

# A version made ten days before the latest incident at the situation's place, so that incident
# makes it due for reassessment.
BEFORE_THE_LATEST_INCIDENT_THERE: Final = "before the latest incident there"


@dataclass(frozen=True)
class ThreatRow:
    description: str
    rating: tuple[int, int]  # likelihood, impact
    residual: tuple[int, int] | None = None
    source: str | None = None  # an actor's name in allies/demo.py
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rerated:
    """A threat copied from the last version (by its place in the list), rated again."""

    threat: int
    rating: tuple[int, int]
    residual: tuple[int, int]
    linked: bool = False  # to the situation's incidents


@dataclass(frozen=True)
class VulnerabilityRow:
    description: str
    category: str
    level: int
    factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapacityRow:
    description: str
    category: str
    level: int
    answers: int | None = None  # the vulnerability it answers, by its place in the list


@dataclass(frozen=True)
class Decided:
    decision: Decision
    rationale: str
    valid_until: int  # days from today
    approved_by: str | None = None  # a demo login; the situation's author decides


@dataclass(frozen=True)
class Version:
    """One assessment. A later version starts as a copy of the one before (as in the app): its
    lists add to the copied ones, and `rerated` rates copied threats again."""

    trigger: Trigger
    threats: tuple[ThreatRow, ...] = ()
    vulnerabilities: tuple[VulnerabilityRow, ...] = ()
    capacities: tuple[CapacityRow, ...] = ()
    rerated: tuple[Rerated, ...] = ()
    # Threat, vulnerability and capacity (1-5), before the measures and after them.
    inherent: tuple[int, int, int] | None = None
    residual: tuple[int, int, int] | None = None
    lens: str = ""
    alternatives: tuple[tuple[str, Level], ...] = ()
    decided: Decided | None = None
    after_latest_incident: bool = False  # linked to the latest of the situation's incidents
    made: int | Literal["before the latest incident there"] | None = None  # days ago, or today


@dataclass(frozen=True)
class MeasureRow:
    kind: MeasureKind
    description: str
    owner: str  # a demo login
    due: int  # days from today
    status: MeasureStatus = MeasureStatus.PLANNED
    ally: str | None = None
    threat: int | None = None  # in the latest version's list
    vulnerability: int | None = None


@dataclass(frozen=True)
class SituationRow:
    kind: SituationKind
    title: str
    objective: str
    by: str  # the demo login who writes it, assesses, decides and adds the measures
    preset: str = ""  # an organizational risk the register offers: its title and objective
    place: PlaceKind | None = None
    starts: int | None = None  # days from today
    ends: int | None = None
    participants: tuple[str, ...] = ()  # demo logins
    people: tuple[str, ...] = ()  # aliases in safespaces/demo.py
    incidents_from: str | None = None  # the latest five incidents at its place from this actor
    check_in_with: str | None = None
    check_in_when: str = ""
    check_in_missed: str = ""
    review_every_months: int = 6
    versions: tuple[Version, ...] = ()
    measures: tuple[MeasureRow, ...] = ()


# Short names for the table.
RECRUITER, BLUE_DOOR, TATTLER = "Dock Road recruiter", "The Blue Door network", "Weekly Tattler"
GO, GO_WITH_MEASURES = Decision.GO, Decision.GO_WITH_MEASURES
REDUCE_THREAT, REDUCE_VULNERABILITY = MeasureKind.REDUCE_THREAT, MeasureKind.REDUCE_VULNERABILITY
BUILD_CAPACITY, MOBILIZE_ALLIES = MeasureKind.BUILD_CAPACITY, MeasureKind.MOBILIZE_ALLIES
IN_PROGRESS, DONE = MeasureStatus.IN_PROGRESS, MeasureStatus.DONE

SITUATIONS = [
    # Two versions: the recruiter's run at the station made the risk go up.
    SituationRow(
        SituationKind.OUTREACH,
        "Thursday night outreach at the station",
        "Meet women in exploitation around the central station, offer health kits and tell them "
        "where to find help, without drawing the recruiters' attention to them.",
        by=COORDINATOR, place=PlaceKind.OUTREACH_SITE, starts=-150, review_every_months=3,
        participants=(STAFF, COORDINATOR), people=("Kestrel",), incidents_from=RECRUITER,
        check_in_with=COORDINATOR,
        check_in_when="A message on arrival at the station, at 22:00, and when everyone is "
        "home. Only on the work phones.",
        check_in_missed="After 20 minutes the coordinator calls the team leader, then the second "
        "worker. After 40 minutes she calls the station police liaison and the demo "
        "administrator.",
        versions=(
            Version(
                Trigger.DESIGN, made=120,
                threats=(
                    ThreatRow("The Dock Road recruiter approaches women we talk to, and follows "
                              "the van.", (2, 4), source=RECRUITER,
                              factors=("gender", "migration")),
                    ThreatRow("Men from the Blue Door network watch the van and note who comes "
                              "to it.", (2, 3), source=BLUE_DOOR),
                ),
                vulnerabilities=(
                    VulnerabilityRow("The night and the route have been the same for a year.",
                                     "information", 3),
                    VulnerabilityRow("Two volunteers have no work phone.", "communication", 3),
                ),
                capacities=(
                    CapacityRow("Check-in routine with the coordinator on duty.", "communication",
                                3, answers=1),
                    CapacityRow("Good contact with the station police liaison.", "allies", 3),
                ),
                inherent=(2, 3, 3), residual=(2, 2, 3),
                decided=Decided(GO_WITH_MEASURES, "Fictional: the outreach reaches women nobody "
                                "else reaches; the risk is moderate with check-ins and pairs.",
                                valid_until=-30),
            ),
            Version(
                Trigger.AFTER_INCIDENT, after_latest_incident=True,
                # The recruiter came closer each time: the threat is now credible and current.
                rerated=(Rerated(0, (4, 4), (3, 4), linked=True), Rerated(1, (3, 3), (2, 3))),
                threats=(
                    ThreatRow("Someone on the team is pushed or hurt in a confrontation.",
                              (2, 5), (1, 5), factors=("gender",)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("Volunteers with an insecure migration status fear calling "
                                     "the police.", "legal", 4, ("migration",)),
                ),
                capacities=(
                    CapacityRow("The team was trained in de-escalation last spring.", "training",
                                3),
                ),
                inherent=(4, 4, 3), residual=(3, 3, 4),
                lens="Fictional: the recruiter targets young women without papers; the two "
                "volunteers who are survivors themselves are more exposed to being recognised.",
                decided=Decided(GO_WITH_MEASURES, "Fictional: stopping would leave the women "
                                "alone with the recruiter. We go on, in pairs, on changing nights, "
                                "with the police liaison told, and look again in a month.",
                                valid_until=35, approved_by=ADMINISTRATOR),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_THREAT, "Change the outreach night and route every month; tell "
                       "only the team.", COORDINATOR, due=10, status=IN_PROGRESS, threat=0),
            MeasureRow(MOBILIZE_ALLIES, "Ask the station police liaison for a patrol between "
                       "21:00 and 23:00 on outreach nights.", COORDINATOR, due=-6,
                       ally="Station police liaison", threat=0),
            MeasureRow(REDUCE_VULNERABILITY, "Work phones with the check-in group for the two "
                       "volunteers.", STAFF, due=-12, vulnerability=1),
            MeasureRow(BUILD_CAPACITY, "De-escalation refresher for the whole outreach team.",
                       STAFF, due=30, threat=2),
            MeasureRow(REDUCE_VULNERABILITY, "Outreach in pairs only, never alone, and never out "
                       "of sight of the van.", COORDINATOR, due=-60, status=DONE),
        ),
    ),
    SituationRow(
        SituationKind.ADVOCACY,
        "Survivor voices rally in the town hall square",
        "Ask the council to fund exit programmes, with survivors speaking for themselves.",
        by=COORDINATOR, starts=24, ends=24, participants=(STAFF, COORDINATOR),
        check_in_with=COORDINATOR,
        check_in_when="When the speakers arrive, after the speeches, and when they are home.",
        check_in_missed="The coordinator calls after 30 minutes, then the speaker's buddy.",
        versions=(
            Version(
                Trigger.BEFORE,
                threats=(
                    ThreatRow("The Weekly Tattler photographs survivor speakers and prints their "
                              "names.", (3, 4), (2, 3), source=TATTLER, factors=("survivor",)),
                    ThreatRow("Counter-protesters shout at or jostle the speakers.", (2, 3),
                              (2, 2)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("Speakers' faces are known from earlier campaigns.",
                                     "information", 3, ("survivor",)),
                ),
                capacities=(
                    CapacityRow("Stewards from Survivors Together, briefed on the day.", "allies",
                                4),
                    CapacityRow("Speakers can use a first name only or speak from behind the "
                                "banner.", "physical", 3, answers=0),
                ),
                inherent=(3, 3, 3), residual=(2, 2, 4),
                decided=Decided(GO_WITH_MEASURES, "Fictional: the council votes next month; the "
                                "measures keep the speakers' choice about being seen.",
                                valid_until=30),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_THREAT, "Agree a no-photo zone for speakers with the organizers "
                       "and the press desk.", STAFF, due=14),
            MeasureRow(MOBILIZE_ALLIES, "Brief the stewards from Survivors Together on the exit "
                       "routes.", COORDINATOR, due=20, ally="Survivors Together"),
        ),
    ),
    SituationRow(
        SituationKind.MEDIA,
        "Radio interview on the spring campaign",
        "Explain the campaign to a wide audience, with a survivor speaking by choice.",
        by=COORDINATOR, starts=9, ends=9, participants=(COORDINATOR,),
        check_in_with=COORDINATOR, check_in_when="Before and after the recording.",
        versions=(
            Version(
                Trigger.BEFORE,
                threats=(
                    ThreatRow("Hostile comments and messages online after the interview airs.",
                              (4, 2), (3, 2), source=TATTLER, factors=("gender",)),
                    ThreatRow("The survivor is recognised by her voice or her story.", (2, 5),
                              (1, 5), factors=("survivor",)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("Details of the story could point to one person.",
                                     "information", 3, ("survivor",)),
                ),
                capacities=(
                    CapacityRow("Pre-recorded, with the right to cut anything afterwards.",
                                "communication", 4, answers=0),
                ),
                inherent=(3, 3, 3), residual=(2, 2, 4),
                decided=Decided(GO_WITH_MEASURES, "Fictional: the voice is altered and the story "
                                "changed enough; comments are moderated.", valid_until=40),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_VULNERABILITY, "Agree in writing that her voice is altered and the "
                       "town is not named.", COORDINATOR, due=5),
        ),
    ),
    # Decided by the administrator; the risk stays high, so it waits for the coordinator.
    SituationRow(
        SituationKind.COURT,
        "Court accompaniment for Heron's hearing",
        "Heron gives her evidence safely and feels supported from door to door.",
        by=ADMINISTRATOR, starts=16, ends=16, participants=(STAFF,), people=("Heron",),
        check_in_with=ADMINISTRATOR,
        check_in_when="Leaving the shelter, at the court, after the hearing, back at the shelter.",
        check_in_missed="After 15 minutes the administrator calls the worker; after 30, the "
        "legal clinic and the police.",
        versions=(
            Version(
                Trigger.BEFORE,
                threats=(
                    ThreatRow("Members of the Blue Door network wait outside the court to "
                              "intimidate Heron.", (4, 4), (3, 4), source=BLUE_DOOR,
                              factors=("gender", "survivor")),
                    ThreatRow("The defence names the shelter's area in open court.", (2, 4),
                              (2, 3)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("The hearing's date and place are public.", "information", 4),
                    VulnerabilityRow("Heron has to wait in the public hallway.", "physical", 4,
                                     ("survivor",)),
                ),
                capacities=(
                    CapacityRow("Northtown Legal Clinic asked for a separate waiting room.",
                                "legal", 3, answers=1),
                ),
                inherent=(4, 4, 3), residual=(3, 3, 3),
                alternatives=(
                    ("Heron gives evidence by video link from the legal clinic.", Level.MODERATE),
                ),
                decided=Decided(GO_WITH_MEASURES, "Fictional: Heron wants to be there in person. "
                                "We go with a separate entrance, two workers and the legal "
                                "clinic; the video link stays ready if she changes her mind.",
                                valid_until=20),
            ),
        ),
        measures=(
            MeasureRow(MOBILIZE_ALLIES, "Ask the court, through the legal clinic, for a separate "
                       "entrance and waiting room.", COORDINATOR, due=7,
                       ally="Northtown Legal Clinic"),
            MeasureRow(REDUCE_VULNERABILITY, "Book a taxi from the shelter's back entrance, both "
                       "ways.", STAFF, due=14),
        ),
    ),
    SituationRow(
        SituationKind.TRAVEL,
        "Travel to the regional survivors' conference",
        "Present our peer-support model and meet funders.",
        by=COORDINATOR, starts=45, ends=48, participants=(STAFF, COORDINATOR),
        check_in_with=COORDINATOR,
        check_in_when="Every evening at 21:00 and on each arrival.",
        check_in_missed="The office calls the hotel after one hour, then the consular section.",
        versions=(
            Version(
                Trigger.DESIGN,
                threats=(
                    ThreatRow("Laptops with case files searched at the border.", (2, 4), (1, 4)),
                    ThreatRow("Followed from the airport by someone linked to our adversaries.",
                              (1, 4)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("No travel laptop without case files.", "information", 2),
                ),
                capacities=(CapacityRow("The consular section knows we travel.", "allies", 3),),
                inherent=(2, 2, 4), residual=(1, 2, 4),
                decided=Decided(GO, "Fictional: the risk is low once travel laptops carry no "
                                "case files.", valid_until=50),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_VULNERABILITY, "Set up a travel laptop with no case files on it.",
                       STAFF, due=30),
        ),
    ),
    # Assessed before the latest incidents at the safe house: due for reassessment.
    SituationRow(
        SituationKind.PREMISES,
        "Safe house operations",
        "Give women a safe place to stay while they decide what comes next.",
        by=COORDINATOR, place=PlaceKind.SHELTER, participants=(STAFF,),
        check_in_with=COORDINATOR,
        check_in_when="The night worker calls in at 23:00 and at 07:00.",
        check_in_missed="The coordinator calls the house phone, then goes with a second person.",
        versions=(
            Version(
                Trigger.PERIODIC, made=BEFORE_THE_LATEST_INCIDENT_THERE,
                threats=(
                    ThreatRow("The address becomes known to exploiters.", (2, 5), (2, 4)),
                    ThreatRow("A resident's former partner finds her and comes to the door.",
                              (3, 3), (2, 3)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("Residents' phones may still share their location.",
                                     "information", 4),
                    VulnerabilityRow("Only one worker on nights.", "resources", 3),
                ),
                capacities=(
                    CapacityRow("Phone check with every new resident on arrival.", "information",
                                3, answers=0),
                    CapacityRow("Harbourside Women's Shelter takes residents at short notice.",
                                "allies", 4),
                ),
                inherent=(3, 4, 3), residual=(2, 3, 4),
                decided=Decided(GO_WITH_MEASURES, "Fictional: the house is needed; the phone "
                                "checks lower the main risk.", valid_until=90),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_VULNERABILITY, "Phone safety check with every resident in the "
                       "house now.", STAFF, due=-3, status=IN_PROGRESS),
        ),
    ),
    # Its decision held until two weeks ago: due for reassessment.
    SituationRow(
        SituationKind.ONLINE,
        "Online campaign: #NotForSale",
        "Reach young people before recruiters do, on the apps they use.",
        by=COORDINATOR, starts=-130, participants=(STAFF,),
        check_in_with=COORDINATOR,
        check_in_when="Weekly, at the team meeting; at once after any threat.",
        check_in_missed="The coordinator asks at the next day's meeting.",
        versions=(
            Version(
                Trigger.DESIGN, made=125,
                threats=(
                    ThreatRow("Organised trolling of the accounts and of the staff who post.",
                              (4, 2), (3, 2), factors=("gender",)),
                    ThreatRow("A staff member's personal account is found and exposed.", (2, 4),
                              (1, 4)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("Staff post from their own phones.", "communication", 3),
                ),
                capacities=(
                    CapacityRow("Two people moderate; nobody reads the comments alone.",
                                "wellbeing", 3),
                ),
                inherent=(3, 3, 3), residual=(2, 2, 3),
                decided=Decided(GO_WITH_MEASURES, "Fictional: the campaign reaches people we "
                                "cannot reach otherwise.", valid_until=-14),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_VULNERABILITY, "Separate work accounts and a work phone for "
                       "posting.", STAFF, due=-20),
        ),
    ),
    # One of the organizational risks the register offers, with its title and objective.
    SituationRow(
        SituationKind.ORGANIZATIONAL, "", "", preset="burnout",
        by=COORDINATOR, participants=(STAFF, COORDINATOR),
        versions=(
            Version(
                Trigger.PERIODIC,
                threats=(
                    ThreatRow("Night shifts and hard stories, week after week, wear the team "
                              "down.", (4, 3), (3, 3), factors=("survivor",)),
                    ThreatRow("A survivor worker is re-traumatised by a case like her own.",
                              (3, 4), (2, 4), factors=("survivor",)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("No supervision since the counsellor left.", "wellbeing", 4),
                    VulnerabilityRow("Three people cover all the night shifts.", "resources", 4),
                ),
                capacities=(
                    CapacityRow("Peer support circle every second Friday.", "wellbeing", 3,
                                answers=0),
                ),
                inherent=(3, 4, 2), residual=(3, 3, 3),
                decided=Decided(GO_WITH_MEASURES, "Fictional: supervision comes back this month, "
                                "and the rota caps night shifts.", valid_until=120),
            ),
        ),
        measures=(
            MeasureRow(BUILD_CAPACITY, "Monthly supervision with an external counsellor.",
                       COORDINATOR, due=-9),
            MeasureRow(REDUCE_VULNERABILITY, "A rota with at most two night shifts a week per "
                       "person.", STAFF, due=-4, status=IN_PROGRESS),
        ),
    ),
    # An assessment still in progress: listed and rated, not decided yet.
    SituationRow(
        SituationKind.ORGANIZATIONAL, "", "", preset="data",
        by=COORDINATOR, participants=(STAFF,), review_every_months=12,
        versions=(
            Version(
                Trigger.PERIODIC,
                threats=(
                    ThreatRow("A phone with case notes is lost or stolen.", (3, 4), (2, 2)),
                    ThreatRow("Phishing messages aimed at staff accounts.", (3, 4), (2, 3)),
                ),
                vulnerabilities=(
                    VulnerabilityRow("Some work phones have no screen lock.", "information", 3),
                    VulnerabilityRow("Volunteers share one shared-drive login.", "information", 4),
                ),
                capacities=(
                    CapacityRow("SafeSpaces keeps case notes encrypted, off the phones.",
                                "information", 4, answers=0),
                ),
                inherent=(3, 4, 3), residual=(2, 2, 4),
            ),
        ),
        measures=(
            MeasureRow(REDUCE_VULNERABILITY, "Screen lock and encryption on every work phone.",
                       STAFF, due=-15),
        ),
    ),
]  # fmt: skip


# --- The builder -------------------------------------------------------------------------------


def seed(user: User) -> list[str]:
    """Add the demo situations once, to an empty register (titles are encrypted and cannot be
    looked up). `user` plays any missing demo user."""
    if RiskSituation.objects.exists():
        return []
    builder = _Builder(Cast(user))
    for row in SITUATIONS:
        builder.situation(row)
    return [
        f"Demo risk situations: {len(SITUATIONS)}, with assessments, measures and a safety plan "
        "(fictional)."
    ]


class _Builder:
    """Walks the table through the services, as the register's pages would. The lists of an
    assessment, the threats rated again and the alternatives are written directly: the app saves
    them only from its formsets."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast
        self.today, self.now = timezone.localdate(), timezone.now()
        self.places = places_by_kind()
        self.actors = {actor.name: actor for actor in Actor.objects.all()}
        self.people = people_by_alias()

    def day(self, days: int | None) -> date | None:
        return None if days is None else self.today + timedelta(days=days)

    def situation(self, row: SituationRow) -> None:
        by = self.cast[row.by]
        place = self.places.get(row.place) if row.place else None
        title, objective = row.title, row.objective
        if row.preset:
            title, objective = (str(text) for text in PRESETS[row.preset])
        incidents = self.incidents(row.incidents_from, place)
        situation = situation_create(
            situation=RiskSituation(
                kind=row.kind,
                title=title,
                objective=objective,
                place=place,
                starts_on=self.day(row.starts),
                ends_on=self.day(row.ends),
                check_in_with=self.cast[row.check_in_with] if row.check_in_with else None,
                check_in_when=row.check_in_when,
                check_in_missed=row.check_in_missed,
                review_every_months=row.review_every_months,
            ),
            participants=[self.cast[login] for login in row.participants],
            people=[self.people[alias] for alias in row.people if alias in self.people],
            incidents=incidents,
            by=by,
        )
        assessment = None
        for version in row.versions:
            assessment = self.version(situation, version, incidents, by)
        for measure in row.measures:
            self.measure(situation, assessment, measure, by)

    def incidents(self, source: str | None, place: Place | None) -> list[Incident]:
        actor = self.actors.get(source) if source else None
        if actor is None or place is None:
            return []
        return list(Incident.objects.filter(source=actor, place=place).order_by("-occurred_on")[:5])

    def version(
        self, situation: RiskSituation, row: Version, incidents: list[Incident], by: User
    ) -> Assessment:
        linked = incidents[:1] if row.after_latest_incident else []
        assessment = assessment_start(
            situation=situation, trigger=row.trigger, linked=linked, by=by
        )
        self.items(assessment, row)
        for rerated in row.rerated:
            threat = assessment.threats.get(position=rerated.threat)
            Threat.objects.filter(pk=threat.pk).update(
                likelihood=rerated.rating[0],
                impact=rerated.rating[1],
                residual_likelihood=rerated.residual[0],
                residual_impact=rerated.residual[1],
            )
            if rerated.linked:
                threat.linked_incidents.set(incidents)
        rated = self.rate(assessment, row)
        assessment_rate(
            assessment=assessment,
            seen_version=assessment.version,
            linked=linked,
            changed=rated,
            by=by,
        )
        for description, level in row.alternatives:
            Alternative.objects.create(assessment=assessment, description=description, level=level)
        if row.decided:
            self.decide(assessment, row.decided, by)
        if row.made is not None:
            self.backdate(situation, assessment, self.made_at(row.made, situation))
        return assessment

    def items(self, assessment: Assessment, row: Version) -> None:
        """Add the version's threats, vulnerabilities and capacities after those it copied."""
        first = assessment.threats.count()
        for position, threat in enumerate(row.threats, start=first):
            residual = threat.residual or (None, None)
            Threat.objects.create(
                assessment=assessment,
                position=position,
                description=threat.description,
                factors=list(threat.factors),
                source=self.actors.get(threat.source) if threat.source else None,
                likelihood=threat.rating[0],
                impact=threat.rating[1],
                residual_likelihood=residual[0],
                residual_impact=residual[1],
            )
        first = assessment.vulnerabilities.count()
        for position, vulnerability in enumerate(row.vulnerabilities, start=first):
            Vulnerability.objects.create(
                assessment=assessment,
                position=position,
                description=vulnerability.description,
                category=vulnerability.category,
                level=vulnerability.level,
                factors=list(vulnerability.factors),
            )
        vulnerabilities = list(assessment.vulnerabilities.order_by("position"))
        first = assessment.capacities.count()
        for position, capacity in enumerate(row.capacities, start=first):
            Capacity.objects.create(
                assessment=assessment,
                position=position,
                description=capacity.description,
                category=capacity.category,
                level=capacity.level,
                answers=None if capacity.answers is None else vulnerabilities[capacity.answers],
            )

    @staticmethod
    def rate(assessment: Assessment, row: Version) -> list[str]:
        """Put the version's ratings on the assessment; the names of the fields rated."""
        rated = []
        if row.inherent:
            assessment.threat, assessment.vulnerability, assessment.capacity = row.inherent
            rated += ["threat", "vulnerability", "capacity"]
        if row.residual:
            (
                assessment.residual_threat,
                assessment.residual_vulnerability,
                assessment.residual_capacity,
            ) = row.residual
            rated += ["residual_threat", "residual_vulnerability", "residual_capacity"]
        if row.lens:
            assessment.lens_notes = row.lens
            rated.append("lens_notes")
        return rated

    def decide(self, assessment: Assessment, row: Decided, by: User) -> None:
        assessment.decision = row.decision
        assessment.rationale = row.rationale
        assessment.valid_until = self.day(row.valid_until)
        assessment_decide(
            assessment=assessment,
            seen_version=assessment.version,
            changed=["decision", "rationale", "valid_until"],
            by=by,
        )
        if row.approved_by:
            assessment_approve(assessment=assessment, by=self.cast[row.approved_by])

    def made_at(self, made: int | str, situation: RiskSituation) -> datetime:
        if isinstance(made, int):
            return self.now - timedelta(days=made)
        there = Incident.objects.filter(place=situation.place) if situation.place else None
        latest = there.order_by("-created_at").first() if there is not None else None
        return min(latest.created_at - timedelta(days=10), self.now) if latest else self.now

    @staticmethod
    def backdate(situation: RiskSituation, assessment: Assessment, when: datetime) -> None:
        """The version was made, decided and approved in the past, a day apart; `update()`
        touches only unencrypted columns."""
        RiskSituation.objects.filter(pk=situation.pk, created_at__gt=when).update(created_at=when)
        versions = Assessment.objects.filter(pk=assessment.pk)
        versions.update(created_at=when)
        versions.filter(decided_at__isnull=False).update(decided_at=when + timedelta(days=1))
        versions.filter(approved_at__isnull=False).update(approved_at=when + timedelta(days=2))

    def measure(
        self, situation: RiskSituation, assessment: Assessment | None, row: MeasureRow, by: User
    ) -> None:
        """A measure, linked to a threat or a vulnerability of the latest version."""
        threat = vulnerability = None
        if assessment is not None and row.threat is not None:
            threat = assessment.threats.get(position=row.threat)
        if assessment is not None and row.vulnerability is not None:
            vulnerability = assessment.vulnerabilities.get(position=row.vulnerability)
        measure_add(
            measure=Measure(
                situation=situation,
                kind=row.kind,
                description=row.description,
                owner=self.cast[row.owner],
                due_on=self.day(row.due),
                status=row.status,
                ally=self.actors.get(row.ally) if row.ally else None,
                threat=threat,
                vulnerability=vulnerability,
            ),
            by=by,
        )
