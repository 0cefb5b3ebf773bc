"""Reads about risk situations, the one place that decides who sees them, and the derived
"due for reassessment": worked out by query each time, never stored, so nothing in the incidents
app has to remember to write it."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allies.selectors import (
    LOCAL_CAPABILITIES,
    actors_visible_to,
    directory,
    is_asked_often,
    is_verified_recently,
    requests_in_window,
)
from incidents.models import Conclusion, ThreatAssessment
from incidents.selectors import incidents_visible_to
from riskassessment.models import Assessment, Measure, RiskSituation, Threat
from riskassessment.scoring import Level, is_credible
from safespaces.accounts.roles import Role, has_role
from safespaces.people.models import Person

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


def may_assess(user: Any) -> bool:
    """Risk situations, assessments, decisions and the register: coordinators and
    administrators."""
    return has_role(user, Role.COORDINATOR)


def situations_visible_to(user: Any) -> QuerySet[RiskSituation]:
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


def get_situation_for_user(request: HttpRequest, code: object) -> RiskSituation:
    """The situation, or 404 for anyone who may not see it."""
    situation = (
        situations_visible_to(request.user).filter(pk=code).select_related("place", "check_in_with")
    )
    found = situation.first()
    if found is None:
        raise Http404
    return found


def get_assessment_for_user(request: HttpRequest, code: object) -> Assessment:
    """An assessment of a situation the user may assess, or 404."""
    if not may_assess(request.user):
        raise Http404
    assessment = (
        Assessment.objects.filter(pk=code)
        .select_related("situation", "decided_by", "approved_by", "created_by")
        .first()
    )
    if assessment is None:
        raise Http404
    return assessment


def get_measure_for_user(request: HttpRequest, code: object) -> Measure:
    """A measure the user may see: any for coordinators, their own for its owner."""
    measures = Measure.objects.filter(pk=code).select_related("situation", "owner")
    if not may_assess(request.user):
        measures = measures.filter(owner=request.user)
    measure = measures.first()
    if measure is None:
        raise Http404
    return measure


def may_update_measure(user: Any, measure: Measure) -> bool:
    return may_assess(user) or measure.owner_id == user.pk


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, or the month's last day if it is shorter."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def with_latest(situations: QuerySet[RiskSituation]) -> QuerySet[RiskSituation]:
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
        latest_valid_until=latest("valid_until"),
        inherent_level=latest("inherent_level"),
        residual_level=latest("residual_level"),
        previous_inherent_level=latest("inherent_level", 1),
        previous_residual_level=latest("residual_level", 1),
    )


def with_due(
    situations: QuerySet[RiskSituation], user: Any, *, today: date | None = None
) -> QuerySet[RiskSituation]:
    """Annotate each current situation with why it is due for reassessment, one flag per rule
    of DUE_REASONS. Only incidents the user may see count: a due flag must not reveal one they
    may not. Closed situations are never due."""
    today = today or timezone.localdate()
    newer = incidents_visible_to(user).filter(created_at__gt=OuterRef("latest_at"))
    sources = Threat.objects.filter(
        assessment=OuterRef(OuterRef("latest_id")), source__isnull=False
    ).values("source")
    linked = RiskSituation.incidents.through.objects.filter(
        risksituation=OuterRef(OuterRef("pk"))
    ).values("incident")
    taking_part = Person.objects.filter(
        Q(risk_situations=OuterRef(OuterRef("pk")))
        | Q(user__risk_situations=OuterRef(OuterRef("pk")))
    ).values("pk")
    # The interval differs per situation; one branch per possible value keeps it in SQL on
    # every database without date arithmetic (the field allows 1 to 24 months).
    interval_passed = Q()
    for months in range(1, 25):
        since = datetime.combine(
            months_before(today, months), time.min, timezone.get_current_timezone()
        )
        interval_passed |= Q(review_every_months=months, latest_at__lt=since)
    current = Q(status=RiskSituation.Status.CURRENT)

    def flag(condition: Q | Exists) -> Case:
        return Case(
            When(current & Q(condition), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )

    annotated = with_latest(situations).annotate(
        due_never=flag(Q(latest_id__isnull=True)),
        due_expired=flag(Q(latest_valid_until__lt=today)),
        due_interval=flag(interval_passed),
        due_linked=flag(Exists(newer.filter(pk__in=linked))),
        due_place=flag(Q(place__isnull=False) & Exists(newer.filter(place=OuterRef("place")))),
        due_source=flag(Exists(newer.filter(source__in=sources))),
        due_people=flag(Exists(newer.filter(affected_people__in=taking_part))),
    )
    any_due = Q()
    for reason in DUE_REASONS:
        any_due |= Q(**{reason: True})
    return annotated.annotate(
        is_due=Case(
            When(any_due, then=Value(True)), default=Value(False), output_field=BooleanField()
        )
    )


def due_reasons(situation: RiskSituation) -> list[str]:
    """The sentences saying why an annotated situation is due, or an empty list."""
    return [str(text) for reason, text in DUE_REASONS.items() if getattr(situation, reason, False)]


def register_of(user: Any, *, today: date | None = None) -> QuerySet[RiskSituation]:
    """The register: situations with their latest levels and due flags, current ones first."""
    return (
        with_due(situations_visible_to(user), user, today=today)
        .select_related("place")
        .order_by("status", F("residual_level").desc(nulls_first=True), "-created_at")
    )


def assessments_of(situation: RiskSituation) -> list[Assessment]:
    """Every version, newest first, with who decided and approved, in one query."""
    return list(situation.assessments.select_related("decided_by", "approved_by", "created_by"))


@dataclass(frozen=True)
class AssessmentParts:
    """Everything an assessment page shows of one version, read in a constant number of
    queries."""

    threats: list[Threat]
    vulnerabilities: list[Any]
    capacities: list[Any]
    alternatives: list[Any]
    credible: set[Any]  # ids of threats that are credible and current


def parts_of(assessment: Assessment, user: Any) -> AssessmentParts:
    threats = list(assessment.threats.select_related("source").prefetch_related("linked_incidents"))
    visible_actors = set(
        actors_visible_to(user)
        .filter(pk__in=[t.source_id for t in threats if t.source_id])
        .values_list("pk", flat=True)
    )
    for threat in threats:
        # A source the user may not see (an adversary, for staff) is shown as unknown.
        threat.source_shown = threat.source if threat.source_id in visible_actors else None
    return AssessmentParts(
        threats=threats,
        vulnerabilities=list(assessment.vulnerabilities.all()),
        capacities=list(assessment.capacities.select_related("answers")),
        alternatives=list(assessment.alternatives.all()),
        credible=credible_threats(threats),
    )


def credible_threats(threats: list[Threat]) -> set[Any]:
    """The threats that are credible and current: rated likelihood 4 or more, or linked to an
    incident whose threat assessment found the threat likely or imminent. One query."""
    linked = {t.pk: {i.pk for i in t.linked_incidents.all()} for t in threats}
    assessed_likely = set(
        ThreatAssessment.objects.filter(
            incident__in={pk for pks in linked.values() for pk in pks},
            conclusion__in=(Conclusion.LIKELY, Conclusion.IMMINENT),
        ).values_list("incident_id", flat=True)
    )
    return {
        t.pk
        for t in threats
        if is_credible(t.likelihood, assessed_likely=bool(linked[t.pk] & assessed_likely))
    }


def measures_of(situation: RiskSituation, *, credible: bool) -> list[Measure]:
    """The situation's measures, open ones first. Against a credible and current threat,
    measures that act on the threat itself (reducing it, mobilizing allies) come before
    vulnerabilities and capacities, as the method requires."""
    measures = list(situation.measures.select_related("owner", "ally", "threat", "vulnerability"))
    kind_order = {kind: index for index, kind in enumerate(Measure.Kind.values)}

    def order(measure: Measure) -> tuple[Any, ...]:
        kind_rank = kind_order[measure.kind] if credible else 0
        return (not measure.is_open, kind_rank, measure.due_on or date.max)

    return sorted(measures, key=order)


def overdue_measures(user: Any, *, today: date | None = None) -> QuerySet[Measure]:
    """Open measures past their date in current situations: the user's own, and every one for
    coordinators and administrators."""
    today = today or timezone.localdate()
    measures = Measure.objects.filter(
        status__in=Measure.OPEN,
        due_on__lt=today,
        situation__status=RiskSituation.Status.CURRENT,
    )
    if not may_assess(user):
        measures = measures.filter(owner=user)
    return measures.select_related("owner", "situation").order_by("due_on")


def awaiting_approval(user: Any) -> QuerySet[Assessment]:
    """Decisions on high and critical residual risks that another coordinator must approve,
    except the user's own."""
    if not may_assess(user):
        return Assessment.objects.none()
    superseded = Assessment.objects.filter(
        situation=OuterRef("situation"), number__gt=OuterRef("number")
    )
    return (
        Assessment.objects.filter(
            residual_level__gte=Level.HIGH,
            approved_by__isnull=True,
            situation__status=RiskSituation.Status.CURRENT,
        )
        .exclude(decision="")
        .exclude(decided_by=user)
        .exclude(Exists(superseded))
        .select_related("situation", "decided_by")
    )


def emergency_contacts(place: Any) -> dict[str, Any]:
    """For a safety plan: the directory's allies for the place with the capabilities needed on
    the spot in a crisis, flagged as the directory flags them. Everyone may see these contacts."""
    sections = [
        section for section in directory(area=place) if section.capability in LOCAL_CAPABILITIES
    ]
    allies = {ally.pk: ally for section in sections for ally in section.allies}
    asked = requests_in_window(list(allies))
    return {
        "sections": sections,
        "stale": {pk for pk, ally in allies.items() if not is_verified_recently(ally)},
        "asked_often": {pk for pk in allies if is_asked_often(asked.get(pk, 0))},
    }
