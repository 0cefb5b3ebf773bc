"""Reads about risk situations, the one place that decides who sees them, and the derived
"due for reassessment": worked out by query each time, never stored, so nothing in the incidents
app has to remember to write it."""

import calendar
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, cast
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.selectors import (
    LOCAL_CAPABILITIES,
    actor_visible,
    directory,
    is_asked_often,
    is_verified_recently,
    requests_in_window,
)
from incidents.models import Conclusion, Incident, ThreatAssessment
from incidents.selectors import incidents_visible_to
from riskassessment.models import GOING_AHEAD, Assessment, Measure, RiskSituation, Threat
from riskassessment.scoring import Level, is_credible
from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from safespaces.accounts.selectors import coordinators
from safespaces.people.models import Person
from safespaces.people.naming import NamingRecord, naming_record

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import Field, ForeignKey, Model
    from django_stubs_ext import WithAnnotations

    from allies.models import Actor

# Why a situation is due, in the order the dashboard lists them.
DUE_REASONS = {
    "due_never": _("It has never been assessed."),
    "due_expired": _("The decision's validity date has passed."),
    "due_interval": _("Its review interval has passed."),
    "due_linked": _("A newer incident is linked to the situation."),
    "due_place": _("A newer incident happened at its place."),
    "due_source": _("A newer incident came from one of its threat sources."),
    "due_people": _("A newer incident affects someone taking part."),
}
INCIDENT_REASONS = ("due_linked", "due_place", "due_source", "due_people")


def may_assess(user: User) -> bool:
    """Risk situations, assessments, decisions and the register: coordinators and
    administrators."""
    return has_role(user, Role.COORDINATOR)


def situations_visible_to(user: User) -> QuerySet[RiskSituation]:
    """Coordinators and administrators see every situation. Staff see the ones they take part
    in or own a measure of: for its safety plan and their measures, nothing else."""
    situations = RiskSituation.objects.all()
    if may_assess(user):
        return situations
    if not has_role(user, Role.STAFF):
        return situations.none()
    owns = Measure.objects.filter(situation=OuterRef("pk"), owner=user)
    takes_part = RiskSituation.participants.through.objects.filter(
        risksituation=OuterRef("pk"), user=user
    )
    return situations.filter(Q(Exists(takes_part)) | Q(Exists(owns)))


@dataclass(frozen=True)
class SituationAccess:
    """A situation the user may see, and what they may do with it."""

    situation: RiskSituation
    # Edit, assess, add measures, see its versions and the register: coordinators and
    # administrators. Staff who take part see its safety plan only.
    may_assess: bool


def get_situation_for_user(request: AuthenticatedHttpRequest, code: UUID) -> SituationAccess:
    """The situation and what the user may do with it, or 404 for anyone who may not see it."""
    situation = (
        situations_visible_to(request.user)
        .filter(pk=code)
        .select_related("place", "check_in_with")
        .first()
    )
    if situation is None:
        raise Http404
    return SituationAccess(situation=situation, may_assess=may_assess(request.user))


@dataclass(frozen=True)
class AssessmentAccess:
    """An assessment of a situation the user may see, and what they may do with it."""

    assessment: Assessment
    may_assess: bool  # read and work on assessments: coordinators and administrators
    # Change it: the latest version, not decided yet, for those who assess.
    may_edit: bool
    may_approve: bool  # see may_approve


def get_assessment_for_user(request: AuthenticatedHttpRequest, code: UUID) -> AssessmentAccess:
    """An assessment of a situation the user may see, or 404: staff who take part in the
    situation know it is assessed (its safety plan says so), so they get the role's answer."""
    user = request.user
    assessment = (
        Assessment.objects.filter(pk=code, situation__in=situations_visible_to(user))
        .select_related("situation", "decided_by", "approved_by", "created_by")
        .first()
    )
    if assessment is None:
        raise Http404
    return assessment_access(user, assessment)


def assessment_access(
    user: User, assessment: Assessment, *, versions: Sequence[Assessment] | None = None
) -> AssessmentAccess:
    """What the user may do with an assessment they may see (the latest on a situation's page).

    `versions` are the situation's versions as the page has read them (assessments_of): what
    came after this one is then counted from them rather than asked of the database."""
    if not may_assess(user):
        return AssessmentAccess(assessment, may_assess=False, may_edit=False, may_approve=False)
    newer = _newer_versions(assessment) if versions is None else _newer_among(assessment, versions)
    return AssessmentAccess(
        assessment,
        may_assess=True,
        may_edit=not assessment.is_decided and newer["any"] == 0,
        may_approve=_approvable(assessment, user) and newer["decided"] == 0,
    )


def _newer_versions(assessment: Assessment) -> dict[str, int]:
    """How many versions of the situation came after this one, and how many of those were
    decided, in one query."""
    return Assessment.objects.filter(
        situation_id=assessment.situation_id, number__gt=assessment.number
    ).aggregate(any=Count("id"), decided=Count("id", filter=~Q(decision="")))


def _newer_among(assessment: Assessment, versions: Sequence[Assessment]) -> dict[str, int]:
    """_newer_versions, counted in versions already read."""
    newer = [version for version in versions if version.number > assessment.number]
    return {"any": len(newer), "decided": sum(1 for version in newer if version.decision)}


def may_approve(assessment: Assessment, user: User) -> bool:
    """Another coordinator or an administrator, never the person who decided, and only for
    the latest decision: one overtaken by a newer decision no longer counts. A reassessment
    still in progress does not overtake it. The approval service asks again under the row's
    lock."""
    return (
        may_assess(user)
        and _approvable(assessment, user)
        and _newer_versions(assessment)["decided"] == 0
    )


def _approvable(assessment: Assessment, user: User) -> bool:
    """What the assessment's own row says: a decision that needs approving, not approved yet,
    taken by someone else."""
    return (
        assessment.needs_approval
        and assessment.approved_by_id is None
        and assessment.decided_by_id != user.pk
    )


@dataclass(frozen=True)
class MeasureAccess:
    """A measure the user may see, and what they may do with it."""

    measure: Measure
    may_edit: bool  # change what it says, who owns it and when: coordinators and administrators
    may_update: bool  # mark it in progress, done or dropped: those, and its owner


def get_measure_for_user(request: AuthenticatedHttpRequest, code: UUID) -> MeasureAccess:
    """A measure of a situation the user may see: any for coordinators, their own for its
    owner; 404 for anyone else."""
    user = request.user
    measures = Measure.objects.filter(
        pk=code, situation__in=situations_visible_to(user)
    ).select_related("situation", "owner")
    if not may_assess(user):
        measures = measures.filter(owner_id=user.pk)
    measure = measures.first()
    if measure is None:
        raise Http404
    return measure_access(user, measure)


def measure_access(user: User, measure: Measure) -> MeasureAccess:
    """What the user may do with a measure they may see (one listed for them, as on the home
    page's overdue measures)."""
    assesses = may_assess(user)
    return MeasureAccess(
        measure, may_edit=assesses, may_update=assesses or measure.owner_id == user.pk
    )


def months_before(day: date, months: int) -> date:
    """The earliest date not yet `months` calendar months before `day`: the same day `months`
    months earlier or, if that month is too short to have it, the first of the next. Not its last
    day: a month from 28 February ends on 28 March, so on the 29th it has passed."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    if day.day > last:
        return date(year, month + 1, last) + timedelta(days=1)
    return date(year, month + 1, day.day)


class LatestLevels(TypedDict):
    """What with_latest annotates on each situation."""

    latest_id: UUID | None
    latest_number: int | None
    latest_at: datetime | None
    latest_decision: str | None
    latest_valid_until: date | None
    awaits_approval: bool
    inherent_level: int | None
    residual_level: int | None
    previous_inherent_level: int | None
    previous_residual_level: int | None


class DueFlag(LatestLevels):
    """What with_due_flag annotates: the database's answer to whether it is due."""

    is_due: bool


class DueFlags(LatestLevels):
    """What with_due sets on each situation besides its latest levels."""

    due_never: bool
    due_expired: bool
    due_interval: bool
    due_linked: bool
    due_place: bool
    due_source: bool
    due_people: bool
    is_due: bool


# A situation with its latest levels, and as the register, the dashboard and the due rules see it.
LatestSituation: TypeAlias = "WithAnnotations[RiskSituation, LatestLevels]"
DueSituation: TypeAlias = "WithAnnotations[RiskSituation, DueFlags]"
FlaggedSituation: TypeAlias = "WithAnnotations[RiskSituation, DueFlag]"


class ShownThreatParts(TypedDict):
    """What threats_of sets on each threat: what of it the user may see."""

    source_shown: "Actor | None"
    # The linked incidents the user may see, by reference (all a page shows of them), newest first.
    incident_references: list[str]


class ShownAlly(TypedDict):
    """What measures_of sets on each measure."""

    ally_shown: "Actor | None"


ShownThreat: TypeAlias = "WithAnnotations[Threat, ShownThreatParts]"
ShownMeasure: TypeAlias = "WithAnnotations[Measure, ShownAlly]"


# A decision taken on a later version of the same situation: the earlier one no longer counts.
_decided_later = Assessment.objects.filter(
    situation=OuterRef("situation"), number__gt=OuterRef("number")
).exclude(decision="")


def with_latest(situations: QuerySet[RiskSituation]) -> "QuerySet[LatestSituation]":
    """Annotate each situation with its latest assessment's id, date and levels, and the levels
    of the one before, for the trend: correlated subqueries, so one query for any number."""
    versions = Assessment.objects.filter(situation=OuterRef("pk")).order_by("-number")

    def latest(field: str, offset: int = 0) -> Subquery:
        return Subquery(versions.values(field)[offset : offset + 1])

    return situations.annotate(
        latest_id=latest("id"),
        latest_number=latest("number"),
        latest_at=latest("created_at"),
        latest_decision=latest("decision"),
        # The validity of the last decision: a reassessment in progress has none yet.
        latest_valid_until=Subquery(versions.exclude(decision="").values("valid_until")[:1]),
        # The last decision goes ahead with a high risk left and nobody has approved it yet.
        awaits_approval=Exists(
            Assessment.objects.filter(
                situation=OuterRef("pk"),
                decision__in=GOING_AHEAD,
                residual_level__gte=Level.HIGH,
                approved_by__isnull=True,
            ).exclude(Exists(_decided_later))
        ),
        inherent_level=latest("inherent_level"),
        residual_level=latest("residual_level"),
        previous_inherent_level=latest("inherent_level", 1),
        previous_residual_level=latest("residual_level", 1),
    )


def with_due(
    situations: QuerySet[RiskSituation], user: User, *, today: date | None = None
) -> list[DueSituation]:
    """The situations, each with its latest versions (see with_latest) and one flag per rule of
    DUE_REASONS, plus `is_due`. Only incidents the user may see count: a flag must not reveal
    one they may not. Closed situations are never due.

    Five queries whatever the number of situations or incidents: the situations; in three,
    the sources of their latest threats, their people and their participants; then in one the
    newest incident the user may see per place, per source, per person affected and per linked
    situation, compared in Python with each situation's latest assessment. Nothing is
    decrypted.
    """
    if "latest_id" not in situations.query.annotations:
        situations = with_latest(situations)
    return due_of(cast("QuerySet[LatestSituation]", situations), user, today=today)


def due_of(
    situations: "Iterable[LatestSituation]",
    user: User,
    *,
    today: date | None = None,
    concerned: "dict[Any, Concerned] | None" = None,
) -> list[DueSituation]:
    """with_due for situations already read with their latest versions (a page of the register):
    four queries, for these situations only; one if what each concerns is given."""
    today = today or timezone.localdate()
    rows = cast(list[DueSituation], list(situations))
    dated = [row for row in rows if row.status == RiskSituation.Status.CURRENT and row.latest_at]
    newest = _newest_incidents(dated, user, concerned)
    for row in rows:
        current = row.status == RiskSituation.Status.CURRENT
        assessed_at, valid_until = row.latest_at, row.latest_valid_until
        row.due_never = current and row.latest_id is None
        row.due_expired = current and valid_until is not None and valid_until < today
        row.due_interval = (
            current
            and assessed_at is not None
            and assessed_at < _review_since(today, row.review_every_months)
        )
        for reason in INCIDENT_REASONS:
            last = newest[reason].get(row.pk)
            newer = last is not None and assessed_at is not None and last > assessed_at
            setattr(row, reason, current and newer)
        row.is_due = any(getattr(row, reason) for reason in DUE_REASONS)
    return rows


def with_due_flag(
    situations: "QuerySet[LatestSituation]", user: User, *, today: date | None = None
) -> "QuerySet[FlaggedSituation]":
    """Annotate `is_due`, the rules of with_due worked out by the database, so a list can filter
    on it and take a page before anything is read: one query whatever the number of situations.
    with_due says why, for the rows shown; the tests hold the two to the same answers.

    Takes a queryset with with_latest's annotations (see register_of)."""
    today = today or timezone.localdate()
    visible = incidents_visible_to(user)
    newer = {"created_at__gt": OuterRef("latest_at")}
    # The same rules as _newest_incidents, an EXISTS each.
    linked = RiskSituation.incidents.through.objects.filter(
        risksituation=OuterRef("pk"),
        incident__in=visible.filter(created_at__gt=OuterRef(OuterRef("latest_at"))).values("pk"),
    )
    sources = Threat.objects.filter(
        assessment=OuterRef(OuterRef("latest_id")), source__isnull=False
    ).values("source")
    # From the situation's few people to the incidents that affect them, not from every newer
    # incident to its people: that was a scan of the incidents for each situation. Three levels
    # down: the situation, the people's incidents, then whether each is newer and visible.
    newer_and_visible = visible.filter(
        pk=OuterRef("incident"), created_at__gt=OuterRef(OuterRef("latest_at"))
    )
    affected = Incident.affected_people.through.objects.filter(Exists(newer_and_visible))
    involved = RiskSituation.people.through.objects.filter(risksituation=OuterRef(OuterRef("pk")))
    taking_part = RiskSituation.participants.through.objects.filter(
        risksituation=OuterRef(OuterRef("pk"))
    )
    incident_rules = (
        Exists(linked)
        | Exists(visible.filter(place=OuterRef("place"), **newer))
        | Exists(visible.filter(source__in=sources, **newer))
        | Exists(affected.filter(person__in=involved.values("person")))
        | Exists(affected.filter(person__user__in=taking_part.values("user")))
    )
    # The review interval differs by situation; months_before has no SQL twin, so each interval
    # in use becomes its date here.
    intervals = RiskSituation.objects.order_by().values_list("review_every_months", flat=True)
    review_since = Case(
        *[
            When(review_every_months=months, then=Value(_review_since(today, months)))
            for months in sorted(set(intervals.distinct()))
        ],
        default=None,
    )
    due = Q(status=RiskSituation.Status.CURRENT) & (
        Q(latest_id__isnull=True)
        | Q(latest_valid_until__lt=today)
        | Q(latest_at__lt=review_since)
        | (Q(latest_at__isnull=False) & incident_rules)
    )
    return situations.annotate(
        is_due=Case(When(due, then=Value(True)), default=Value(False), output_field=BooleanField())
    )


# first_due looks first at this many times the situations it is asked for.
DUE_WINDOW = 4


def first_due(flagged: "QuerySet[FlaggedSituation]", count: int) -> list[FlaggedSituation]:
    """The first `count` situations due, in the order of `flagged` (with_due_flag's), read with
    their latest versions: in one query when the first few hold enough of them, else in two.

    First among the first DUE_WINDOW * `count`: sliced and not filtered, the query lets Postgres
    work the rules out after sorting, for those rows only (the Result over the Sort). Filtered
    by the flag, it worked them out for every row. The home page's list at 2,000 situations took
    37 ms against 69 when most are due, as they are where incidents keep coming, and 107 against
    82 when none is: then the filter looks through all of them after the first.
    """
    window = list(flagged[: DUE_WINDOW * count + 1])  # one more: are there others below?
    due = [row for row in window if row.is_due][:count]
    if len(due) < count and len(window) > DUE_WINDOW * count:
        due = list(flagged.filter(is_due=True)[:count])
    return due


def _review_since(today: date, months: int) -> datetime:
    return datetime.combine(months_before(today, months), time.min, timezone.get_current_timezone())


@dataclass(frozen=True)
class Concerned:
    """What a situation's incident rules look for: the sources of its latest threats, and the
    people in it, named or taking part through their account."""

    sources: frozenset[Any]
    people: frozenset[Any]


def _concerned(rows: list[DueSituation]) -> dict[Any, Concerned]:
    """Concerned for each situation, in three queries."""
    ids = [row.pk for row in rows]
    sources = _pairs(
        Threat.objects.filter(
            assessment__in=[row.latest_id for row in rows], source__isnull=False
        ).values_list("assessment__situation", "source")
    )
    people = _pairs(
        RiskSituation.people.through.objects.filter(risksituation__in=ids).values_list(
            "risksituation", "person"
        )
    )
    for situation, person in RiskSituation.participants.through.objects.filter(
        risksituation__in=ids, user__person__isnull=False
    ).values_list("risksituation", "user__person"):
        people.setdefault(situation, set()).add(person)
    return {
        pk: Concerned(frozenset(sources.get(pk, ())), frozenset(people.get(pk, ()))) for pk in ids
    }


def _newest_incidents(
    rows: list[DueSituation], user: User, concerned: dict[Any, Concerned] | None = None
) -> dict[str, dict[Any, datetime]]:
    """For each incident rule, the newest visible incident that concerns each situation: at its
    place, from a source of its latest threats, affecting someone taking part, or linked.
    `concerned` is what a situation's page has read already; without it, it is asked for."""
    found: dict[str, dict[Any, datetime]] = {reason: {} for reason in INCIDENT_REASONS}
    if not rows:
        return found
    ids = [row.pk for row in rows]
    oldest = min(row.latest_at for row in rows if row.latest_at is not None)
    visible = incidents_visible_to(user).filter(created_at__gt=oldest)
    concerned = _concerned(rows) if concerned is None else concerned

    # The newest per place, source, person and linked situation. Only the places, sources and
    # people of these situations: a page of the register asks about a few of each, not about
    # every incident in the book.
    by_key: dict[str, dict[Any, datetime]] = {reason: {} for reason in INCIDENT_REASONS}
    asked = {
        "due_place": {row.place_id for row in rows if row.place_id},
        "due_source": {key for each in concerned.values() for key in each.sources},
        "due_people": {key for each in concerned.values() for key in each.people},
        "due_linked": set(ids),
    }
    for reason, key, at in _newest_by_key(visible, asked):
        by_key[reason][key] = at
    found["due_linked"] = by_key["due_linked"]  # by situation already

    def newest(keys: frozenset[Any], by: dict[Any, datetime]) -> datetime | None:
        return max((by[key] for key in keys if key in by), default=None)

    for row in rows:
        if row.place_id in by_key["due_place"]:
            found["due_place"][row.pk] = by_key["due_place"][row.place_id]
        for reason, keys in (
            ("due_source", concerned[row.pk].sources),
            ("due_people", concerned[row.pk].people),
        ):
            if (last := newest(keys, by_key[reason])) is not None:
                found[reason][row.pk] = last
    return found


def _newest_by_key(
    visible: QuerySet[Incident], keys: dict[str, set[Any]]
) -> list[tuple[str, Any, datetime]]:
    """For each incident rule, the newest of `visible` per key among `keys[rule]`: at a place,
    from a source, affecting a person, linked to a situation. One query, a UNION ALL of a
    grouping per rule.

    Written here rather than as four querysets, which compiled the visibility rule four times:
    6 ms of a situation's page, now 2.5 ms. The rule is still incidents_visible_to's, compiled
    once by Django and read four times by the database.
    """
    connection = connections[visible.db]
    picked = visible.order_by().values("id", "created_at", "place_id", "source_id")
    try:
        sql, params = picked.query.get_compiler(using=visible.db).as_sql()
    except EmptyResultSet:
        return []  # the user may see no incident at all
    name = connection.ops.quote_name

    def on_incident(field: str) -> tuple[str, str, "ForeignKey[Any, Any]"]:
        """A key on the incident itself: its column, no join, and its field."""
        key = cast("ForeignKey[Any, Any]", Incident._meta.get_field(field))
        return f"v.{name(key.column)}", "", key

    def linked(through: "type[Model]", field: str) -> tuple[str, str, "ForeignKey[Any, Any]"]:
        """A key in a table of links to incidents: its column, the join to it, and its field."""
        key, incident = (
            cast("ForeignKey[Any, Any]", through._meta.get_field(each))
            for each in (field, "incident")
        )
        table = name(through._meta.db_table)
        return f"k.{name(key.column)}", f"JOIN {table} k ON k.{name(incident.column)} = v.id", key

    groupings = {
        "due_place": on_incident("place"),
        "due_source": on_incident("source"),
        "due_people": linked(Incident.affected_people.through, "person"),
        "due_linked": linked(RiskSituation.incidents.through, "risksituation"),
    }
    parts: list[str] = []
    arguments: list[Any] = []
    for reason, (column, join, key) in groupings.items():
        if not keys[reason]:
            continue
        wanted = [key.get_db_prep_value(value, connection) for value in keys[reason]]
        # Names from the models and the reasons above, never a value: those are parameters.
        parts.append(
            f"SELECT '{reason}', {column}, MAX(v.created_at) FROM ({sql}) v {join} "  # noqa: S608
            f"WHERE {column} IN ({', '.join(['%s'] * len(wanted))}) GROUP BY {column}"
        )
        arguments += [*params, *wanted]
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), arguments)
        found = cursor.fetchall()
    # Raw rows (SQLite gives ids as hex and times as text), read as Django reads the columns.
    created_at = Incident._meta.get_field("created_at")
    return [
        (
            reason,
            _converted(groupings[reason][2], key, connection),
            _converted(created_at, at, connection),
        )
        for reason, key, at in found
    ]


def _converted(field: "Field[Any, Any]", value: Any, connection: "BaseDatabaseWrapper") -> Any:
    """A value of `field`'s column as the database gave it, through the converters Django
    applies to the column when it reads it itself."""
    column = field.get_col(field.model._meta.db_table)
    for convert in connection.ops.get_db_converters(column) + column.get_db_converters(connection):
        value = convert(value, column, connection)
    return value


def _pairs(rows: Any) -> dict[Any, set[Any]]:
    grouped: dict[Any, set[Any]] = {}
    for key, value in rows:
        grouped.setdefault(key, set()).add(value)
    return grouped


def due_reasons(situation: RiskSituation) -> list[str]:
    """The sentences saying why an annotated situation is due, or an empty list."""
    return [str(text) for reason, text in DUE_REASONS.items() if getattr(situation, reason, False)]


def situation_due(
    situation: RiskSituation,
    user: User,
    versions: Sequence[Assessment],
    *,
    threats: Iterable[Threat],
    people: Iterable[Person],
    participants: "Iterable[Participant]",
) -> list[str]:
    """Why one situation is due for reassessment, as the user may know it (see with_due), from
    what its page has read already: its versions, newest first (assessments_of), the latest
    one's threats, its people and its participants (participants_of). One query."""
    latest = versions[0] if versions else None
    decided = next((version for version in versions if version.decision), None)
    row = cast(DueSituation, copy.copy(situation))
    row.latest_id = latest.pk if latest else None
    row.latest_at = latest.created_at if latest else None
    row.latest_valid_until = decided.valid_until if decided else None
    concerned = Concerned(
        sources=frozenset(threat.source_id for threat in threats if threat.source_id),
        people=frozenset(person.pk for person in people)
        | {member.person_pk for member in participants if member.person_pk},
    )
    return due_reasons(due_of([row], user, concerned={situation.pk: concerned})[0])


class ParticipantPerson(TypedDict):
    """What participants_of sets on each participant."""

    person_pk: UUID | None


Participant: TypeAlias = "WithAnnotations[User, ParticipantPerson]"


def participants_of(situation: RiskSituation) -> "QuerySet[Participant]":
    """The accounts taking part in a situation, each with its person's id if it has one: the
    incidents that affect that person concern the situation (see situation_due)."""
    return situation.participants.annotate(person_pk=F("person"))


def register_of(user: User) -> "QuerySet[LatestSituation]":
    """The register's situations with their latest levels, current ones first, then by the
    risk after measures. Pass it through `with_due` for the due flags."""
    return (
        with_latest(situations_visible_to(user))
        .select_related("place")
        .order_by(
            # Current before closed: the status codes would sort the other way round.
            Case(When(status=RiskSituation.Status.CURRENT, then=Value(0)), default=Value(1)),
            F("residual_level").desc(nulls_first=True),
            "-created_at",
            "pk",  # a page, or the first due (first_due), never depends on how ties fall
        )
    )


def assessments_of(situation: RiskSituation) -> list[Assessment]:
    """Every version, newest first, with who decided and approved, in one query."""
    return list(situation.assessments.select_related("decided_by", "approved_by", "created_by"))


@dataclass(frozen=True)
class AssessmentParts:
    """Everything an assessment page shows of one version, read in a constant number of
    queries."""

    threats: list[ShownThreat]
    vulnerabilities: list[Any]
    capacities: list[Any]
    alternatives: list[Any]
    credible: set[UUID]  # ids of threats that are credible and current


def parts_of(assessment: Assessment, user: User) -> AssessmentParts:
    shown = threats_of(assessment, user)
    return AssessmentParts(
        threats=shown.threats,
        vulnerabilities=list(assessment.vulnerabilities.all()),
        capacities=list(assessment.capacities.select_related("answers")),
        alternatives=list(assessment.alternatives.all()),
        credible=shown.credible,
    )


@dataclass(frozen=True)
class ShownThreats:
    """A version's threats as the user may see them, and which of them are credible. Empty
    before anything is assessed."""

    threats: list[ShownThreat] = field(default_factory=list)
    credible: set[UUID] = field(default_factory=set)  # ids of the credible and current ones


def threats_of(assessment: Assessment, user: User) -> ShownThreats:
    """The version's threats, each with its source and linked incidents as the user may see
    them, and the credible ones: what a safety plan needs of a version, in two queries (one
    without threats).

    Credible and current: rated likelihood 4 or more, or linked to an incident whose threat
    assessment found the threat likely or imminent, whether or not the user may see that
    incident."""
    threats = cast(list[ShownThreat], list(assessment.threats.select_related("source")))
    if not threats:
        return ShownThreats()
    # One query about the links: each linked incident's reference (all a page shows of it),
    # whether the user may see it, and whether its threat assessment found the threat likely.
    likely = ThreatAssessment.objects.filter(
        incident=OuterRef("incident"), conclusion__in=(Conclusion.LIKELY, Conclusion.IMMINENT)
    )
    links = (
        Threat.linked_incidents.through.objects.filter(threat__in=[t.pk for t in threats])
        .order_by("-incident__occurred_on", "-incident__created_at")  # as the incident list
        .values(
            "threat",
            "incident__reference",
            visible=Exists(incidents_visible_to(user).filter(pk=OuterRef("incident"))),
            likely=Exists(likely),
        )
    )
    shown: dict[UUID, list[str]] = {}
    assessed_likely: set[UUID] = set()
    for link in links:
        if link["visible"]:
            shown.setdefault(link["threat"], []).append(link["incident__reference"])
        if link["likely"]:
            assessed_likely.add(link["threat"])
    for threat in threats:
        # A source the user may not see (an adversary, for staff) is shown as unknown.
        threat.source_shown = threat.source if actor_visible(user, threat.source) else None
        # Nor is an incident they may not see named, as on the incident pages.
        threat.incident_references = shown.get(threat.pk, [])
    credible = {
        t.pk for t in threats if is_credible(t.likelihood, assessed_likely=t.pk in assessed_likely)
    }
    return ShownThreats(threats, credible)


def measures_of(situation: RiskSituation, user: User, *, credible: bool) -> list[ShownMeasure]:
    """The situation's measures, open ones first. Against a credible and current threat,
    measures that act on the threat itself (reducing it, mobilizing allies) come before
    vulnerabilities and capacities, as the method requires.

    `ally_shown` is the measure's ally if the user may see that actor: one that has since
    become an adversary, or was archived, stays unnamed to staff."""
    measures = cast(
        list[ShownMeasure],
        list(situation.measures.select_related("owner", "ally")),
    )
    for measure in measures:
        measure.ally_shown = measure.ally if actor_visible(user, measure.ally) else None
    kind_order = {kind: index for index, kind in enumerate(Measure.Kind.values)}

    def order(measure: Measure) -> tuple[Any, ...]:
        kind_rank = kind_order[measure.kind] if credible else 0
        return (not measure.is_open, kind_rank, measure.due_on or date.max)

    return sorted(measures, key=order)


def overdue_measures(user: User, *, today: date | None = None) -> QuerySet[Measure]:
    """Open measures past their date in current situations: the user's own, and every one for
    coordinators and administrators; none for an account without a role."""
    measures = _overdue(today or timezone.localdate())
    if not has_role(user, Role.STAFF):
        return measures.none()
    if not may_assess(user):
        measures = measures.filter(owner=user)
    return measures.select_related("owner", "situation").order_by("due_on")


def _overdue(today: date) -> QuerySet[Measure]:
    return Measure.objects.filter(
        status__in=Measure.OPEN,
        due_on__lt=today,
        situation__status=RiskSituation.Status.CURRENT,
    )


def told_of_overdue_measures(*, today: date | None = None) -> list[User]:
    """Who the daily digest tells: the active coordinators and owners who have an overdue measure
    they may see (see overdue_measures). One query each: a handful of people."""
    today = today or timezone.localdate()
    owners = User.objects.filter(is_active=True, pk__in=_overdue(today).values("owner"))
    candidates = {user.pk: user for user in [*coordinators(), *owners]}
    return [user for user in candidates.values() if overdue_measures(user, today=today).exists()]


def situations_due(user: User, *, today: date | None = None) -> list[DueSituation]:
    """The current situations due for reassessment as the user may know it (see with_due),
    read without their encrypted columns."""
    rules = (
        situations_visible_to(user)
        .filter(status=RiskSituation.Status.CURRENT)
        .only("id", "status", "review_every_months", "place_id")
    )
    return [row for row in with_due(rules, user, today=today) if row.is_due]


def told_of_situations_due(*, today: date | None = None) -> list[User]:
    """Who the weekly digest tells: the active coordinators and administrators for whom some
    situation is due. Five queries each (see with_due): a handful of people, once a week."""
    return [
        user for user in coordinators() if may_assess(user) and situations_due(user, today=today)
    ]


def awaiting_approval(user: User) -> QuerySet[Assessment]:
    """Decisions on high and critical residual risks that another coordinator must approve,
    except the user's own."""
    if not may_assess(user):
        return Assessment.objects.none()
    return (
        Assessment.objects.filter(
            residual_level__gte=Level.HIGH,
            decision__in=GOING_AHEAD,
            approved_by__isnull=True,
            situation__status=RiskSituation.Status.CURRENT,
        )
        .exclude(decided_by=user)
        .exclude(Exists(_decided_later))
        .select_related("situation", "decided_by")
    )


# A printed plan names the few to call first for each need; the directory has the rest.
PLAN_CONTACTS_SHOWN = 3


def emergency_contacts(place: Any) -> dict[str, Any]:
    """For a safety plan: the directory's allies for the place with the capabilities needed on
    the spot in a crisis, flagged as the directory flags them. Everyone may see these contacts."""
    sections = directory(area=place, among=LOCAL_CAPABILITIES, shown=PLAN_CONTACTS_SHOWN)
    allies = {ally.pk: ally for section in sections for ally in section.allies}
    asked = requests_in_window(list(allies))
    listed = {section.capability for section in sections}
    return {
        "sections": sections,
        "area": place,
        # Said out loud: a plan without a medical contact must not look complete.
        "missing": [capability for capability in LOCAL_CAPABILITIES if capability not in listed],
        "stale": {pk for pk, ally in allies.items() if not is_verified_recently(ally)},
        "asked_often": {pk for pk in allies if is_asked_often(asked.get(pk, 0))},
    }


def records_naming_person(*, person: Person) -> list[NamingRecord]:
    """For the person's access report (registered in RiskAssessmentConfig.ready): the risk
    situations they take part in, in one query. Named by kind and the day it was recorded: the
    title is encrypted and stays so."""
    situations = RiskSituation.objects.filter(people=person).order_by("created_at")
    return [
        naming_record(
            RiskSituation,
            pk,
            _("Risk situation: %(kind)s, recorded %(date)s")
            % {
                "kind": RiskSituation.Kind(kind).label,
                "date": timezone.localdate(created).isoformat(),
            },
        )
        for pk, kind, created in situations.values_list("pk", "kind", "created_at")
    ]
