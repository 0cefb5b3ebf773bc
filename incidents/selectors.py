"""Reads about incidents, and the one place that decides who sees which incidents."""

from dataclasses import dataclass
from datetime import date, timedelta
from functools import reduce
from operator import or_
from typing import Any
from uuid import UUID

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from allies.selectors import may_see_all_actors
from incidents.models import (
    Attachment,
    Category,
    EntryKind,
    Incident,
    Kind,
    Review,
    ThreatAssessment,
    TimelineEntry,
    Visibility,
)
from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from safespaces.accounts.selectors import coordinators
from safespaces.people.models import Person
from safespaces.people.naming import NamingRecord, naming_record
from safespaces.pickers import LIMIT, Match, Matches, normalized


def may_analyse(user: User) -> bool:
    """Threat assessments, reviews, statuses, patterns: coordinators and administrators."""
    return has_role(user, Role.COORDINATOR)


def may_read_free_text_in_exports(user: User) -> bool:
    """An export leaves the app: what people wrote goes with it only for coordinators and
    administrators."""
    return has_role(user, Role.COORDINATOR)


def visibilities_seen_whole(user: User) -> list[str]:
    """The visibilities every incident of which the user may see: the team's for everyone,
    coordinator-level ones for coordinators, all of them for administrators."""
    if has_role(user, Role.ADMINISTRATOR):
        return list(Visibility.values)
    if has_role(user, Role.COORDINATOR):
        return [Visibility.TEAM, Visibility.COORDINATORS]
    if has_role(user, Role.STAFF):
        return [Visibility.TEAM]
    return []


def incidents_visible_to(user: User) -> QuerySet[Incident]:
    """Team incidents for everyone; coordinator-level ones for coordinators and the reporter;
    named ones for the reporter and the people named. Administrators see every incident."""
    incidents = Incident.objects.all()
    whole = visibilities_seen_whole(user)
    if len(whole) == len(Visibility.values):
        return incidents
    if not whole:
        return incidents.none()
    # One uncorrelated list of the incidents shared with the user, not an EXISTS per row: with
    # it, the database counts the visible incidents from the index on (visibility, reporter,
    # id) alone, without reading the table (see Incident.Meta.indexes).
    named = Incident.shared_with.through.objects.filter(user=user).values("incident_id")
    allowed = reduce(or_, (Q(visibility=visibility) for visibility in whole))
    allowed |= Q(reporter=user)
    # Names count only while the incident is shared with named people.
    allowed |= Q(visibility=Visibility.NAMED) & Q(pk__in=named)
    return incidents.filter(allowed)


@dataclass(frozen=True)
class Sight:
    """The incidents a user may see, in two parts: whole visibilities, which everyone who sees
    them sees alike (so counts of them can be shared between users), and the rest they see as
    reporter or as someone named."""

    whole: list[str]
    rest: QuerySet[Incident] | None  # None: nothing outside `whole`


def incident_sight(user: User) -> Sight:
    """What `incidents_visible_to` gives the user, split into whole visibilities and the rest:
    the rest is those incidents of the other visibilities that they may see."""
    whole = visibilities_seen_whole(user)
    partly = [v for v in Visibility.values if v not in whole]
    if not whole or not partly:
        return Sight(whole, None)
    return Sight(whole, incidents_visible_to(user).filter(visibility__in=partly))


@dataclass(frozen=True)
class IncidentAccess:
    """An incident the user may see, and what they may do with it."""

    incident: Incident
    may_edit: bool  # complete the report: its reporter, coordinators and administrators
    # Assess, review, set the status, see the analysis: coordinators and administrators.
    may_analyse: bool
    # Link a timeline entry to a recorded contact with an ally: engagements are coordinators'.
    may_link_engagements: bool


def coordinators_who_see(incident: Incident) -> list[User]:
    """The active coordinators and administrators who may see the incident, for its alerts. One
    visibility query each: an organization has a handful of them."""
    return [
        user
        for user in coordinators()
        if incidents_visible_to(user).filter(pk=incident.pk).exists()
    ]


def get_incident_for_user(request: AuthenticatedHttpRequest, code: UUID) -> IncidentAccess:
    """The incident and what the user may do with it, or 404 for anyone who may not see it:
    its existence must not leak."""
    user = request.user
    incident = incidents_visible_to(user).filter(pk=code).first()
    if incident is None:
        raise Http404
    return IncidentAccess(
        incident=incident,
        may_edit=_may_edit(user, incident),
        may_analyse=may_analyse(user),
        may_link_engagements=may_see_all_actors(user),
    )


@dataclass(frozen=True)
class AttachmentAccess:
    """An attachment of an incident the user may see: whoever sees the incident may open it."""

    attachment: Attachment


def get_attachment_for_user(request: AuthenticatedHttpRequest, code: UUID) -> AttachmentAccess:
    """The attachment, or 404 for anyone who may not see its incident."""
    attachment = (
        Attachment.objects.filter(pk=code, incident__in=incidents_visible_to(request.user))
        .select_related("incident")
        .first()
    )
    if attachment is None:
        raise Http404
    return AttachmentAccess(attachment)


def _may_edit(user: User, incident: Incident) -> bool:
    """The reporter completes their own report; coordinators and administrators any they see."""
    return incident.reporter_id == user.pk or may_analyse(user)


def timeline_of(incident: Incident, user: User) -> list[TimelineEntry]:
    """The incident's entries, oldest first, with whatever each line shows in one query.

    Threat assessments and reviews are analysis for coordinators: their lines (a conclusion, a
    decision) stay out of other people's timeline, as the assessment itself does.
    """
    entries = incident.entries.select_related(
        "author", "engagement__actor", "attachment", "corrects"
    )
    if not may_analyse(user):
        entries = entries.exclude(kind__in=(EntryKind.ASSESSMENT, EntryKind.REVIEW))
    return list(entries)


def welfare_pending(user: User) -> QuerySet[Incident]:
    """Requests for a check-in on the incidents the user may see. One on an incident shared with
    named people reaches those people and the administrators only: its existence stays hidden."""
    return (
        incidents_visible_to(user)
        .filter(welfare_follow_up=True, welfare_done_at__isnull=True)
        .select_related("reporter")
        .order_by("created_at")
    )


# Someone who logged this many incidents in FREQUENT_WINDOW may be frightened or exhausted.
FREQUENT_REPORTS = 5
FREQUENT_WINDOW = timedelta(days=30)


def frequent_reporters(user: User) -> list[tuple[User, int]]:
    """People who logged many incidents lately, most first, so a coordinator can offer support.

    Counted over the incidents the user may see, in one grouped query plus one for the names.
    """
    since = timezone.now() - FREQUENT_WINDOW
    rows = (
        incidents_visible_to(user)
        .filter(created_at__gte=since)
        .order_by()
        .values("reporter")
        .annotate(logged=Count("id"))
        .filter(logged__gte=FREQUENT_REPORTS)
    )
    counts = {row["reporter"]: row["logged"] for row in rows}
    reporters = User.objects.filter(pk__in=counts)
    return sorted(((r, counts[r.pk]) for r in reporters), key=lambda pair: -pair[1])


# --- Threat assessment and team review ---------------------------------------------------------

# The pattern step offers this many incidents at most: the most recent are the likeliest links,
# and a longer list would not be read.
PATTERN_SUGGESTIONS = 20
# What a suggested incident shares with the one assessed, in the order the list names it.
SHARED_LABELS: dict[str, Promise] = {
    "same_place": _("same place"),
    "same_source": _("same source"),
    "same_category": _("same category"),
    "same_person": _("same person affected"),
}
# Fields the pattern list shows. The summary is loaded sealed with the rest and opened only when
# the page shows it, so only the rows on screen are decrypted (and recorded as shown).
LISTED_FIELDS = ("id", "reference", "kind", "category", "occurred_on", "approximate", "summary")
# A summary may run to 200 characters; beside a checkbox on a phone two lines say enough.
SUMMARY_LINE = 80


def summary_line(summary: str) -> str:
    """The summary short enough for a list on a phone: cut at a word, with an ellipsis."""
    if len(summary) <= SUMMARY_LINE:
        return summary
    cut = summary[: SUMMARY_LINE - 1]
    # At a space, unless the last word is so long that little would be left.
    at_space = cut.rsplit(" ", 1)[0]
    if len(at_space) >= SUMMARY_LINE // 2:
        cut = at_space
    return cut.rstrip(" ,.;:-") + "\u2026"


@dataclass(frozen=True)
class IncidentLine:
    """An incident as one line of a list: its reference, date and what happened in a few words.

    List only incidents the user may see (`incidents_visible_to`): whoever sees an incident may
    read its summary, which is decrypted only when a page shows it.
    """

    incident: Incident

    @property
    def summary(self) -> str:
        return summary_line(self.incident.summary)


@dataclass(frozen=True)
class PatternSuggestion(IncidentLine):
    """An incident that may belong to the same pattern, with what it shares with the one
    assessed (empty for an incident linked earlier that shares none of these)."""

    shared: list[str]

    def __str__(self) -> str:
        # A plain label where a form renders it as is; the assessment page lays it out itself.
        return " ".join([self.incident.reference, *self.shared])


def pattern_suggestions(user: User, incident: Incident) -> list[PatternSuggestion]:
    """Other incidents the user may see that share the place, the source, the category or an
    affected person with `incident`, most recent first.

    One query whatever the size of the book. It decides on unencrypted columns only and loads
    only what the list shows, so nothing is decrypted. "Other" is no category to match on.
    """
    affected = Incident.affected_people.through.objects
    people = affected.filter(incident_id=incident.pk).values("person_id")
    tests: dict[str, Q] = {}
    if incident.place_id:
        tests["same_place"] = Q(place_id=incident.place_id)
    if incident.source_id:
        tests["same_source"] = Q(source_id=incident.source_id)
    if incident.category and incident.category != Category.OTHER:
        tests["same_category"] = Q(category=incident.category)
    tests["same_person"] = Q(
        Exists(affected.filter(incident_id=OuterRef("pk"), person_id__in=people))
    )
    flags = {
        name: ExpressionWrapper(test, output_field=BooleanField()) for name, test in tests.items()
    }
    rows = (
        incidents_visible_to(user)
        .exclude(pk=incident.pk)
        .filter(reduce(or_, tests.values()))
        .annotate(**flags)
        .only(*LISTED_FIELDS)
        .order_by("-occurred_on", "-created_at")[:PATTERN_SUGGESTIONS]
    )
    return [
        PatternSuggestion(row, [str(SHARED_LABELS[name]) for name in tests if getattr(row, name)])
        for row in rows
    ]


def links_of(user: User, assessment: ThreatAssessment) -> tuple[list[Incident], list[Any]]:
    """The incidents an assessment links to, in one query: those the user may see, most recent
    first, and the ids of those they may not (kept as they are when the user saves: nobody
    unlinks what they cannot see)."""
    if assessment._state.adding:
        return [], []
    visible = incidents_visible_to(user).filter(pk=OuterRef("pk"))
    linked = (
        assessment.linked_incidents.annotate(shown=Exists(visible))
        .only(*LISTED_FIELDS)
        .order_by("-occurred_on", "-created_at")
    )
    rows = list(linked)
    return [row for row in rows if row.shown], [row.pk for row in rows if not row.shown]


def linked_from(user: User, incident: Incident) -> list[IncidentLine]:
    """The incidents whose threat assessments link to `incident`, those the user may see, most
    recent first, in one query: the other way round of `links_of`. One the user may not see is
    left out without a trace."""
    through = ThreatAssessment.linked_incidents.through
    assessed = through.objects.filter(incident_id=incident.pk).values(
        "threatassessment__incident_id"
    )
    rows = (
        incidents_visible_to(user)
        .filter(pk__in=assessed)
        .exclude(pk=incident.pk)
        .only(*LISTED_FIELDS)
        .order_by("-occurred_on", "-created_at")
    )
    return [IncidentLine(row) for row in rows]


def assessment_of(incident: Incident) -> ThreatAssessment | None:
    """The incident's threat assessment, with who it points to and who wrote it, in one query."""
    return (
        ThreatAssessment.objects.select_related("actor", "assessed_by")
        .filter(incident=incident)
        .first()
    )


def reviews_of(incident: Incident) -> list[Review]:
    """The incident's team reviews, newest first, with who took part, in two queries."""
    return list(incident.reviews.select_related("recorded_by").prefetch_related("participants"))


def records_naming_person(*, person: Person) -> list[NamingRecord]:
    """For the person's access report (registered in IncidentsConfig.ready): the incidents they
    are among the people affected by, and those incidents' attachments, in two queries. Named by
    the incident's reference and the upload date: a file's name is encrypted and stays so."""
    incidents = Incident.objects.filter(affected_people=person).order_by("reference")
    found = [
        naming_record(Incident, pk, _("Incident %(reference)s") % {"reference": reference})
        for pk, reference in incidents.values_list("pk", "reference")
    ]
    attachments = Attachment.objects.filter(incident__in=incidents.values("pk")).order_by(
        "incident__reference", "created_at"
    )
    found += [
        naming_record(
            Attachment,
            pk,
            _("Attachment to incident %(reference)s, added %(date)s")
            % {"reference": reference, "date": timezone.localdate(added).isoformat()},
        )
        for pk, reference, added in attachments.values_list(
            "pk", "incident__reference", "created_at"
        )
    ]
    return found


# --- Linking incidents from another record (a risk situation, a threat, an assessment) ----------

# Incidents offered for linking: the last year's, and whatever is linked already.
LINKABLE_FOR = timedelta(days=365)


def linkable_incidents(user: User, current: QuerySet[Incident] | None = None) -> QuerySet[Incident]:
    """The incidents `user` may link: those they may see of the last year, and `current` (what
    the record links already) of those they may see."""
    since = timezone.localdate() - LINKABLE_FOR
    recent = Q(occurred_on__gte=since)
    if current is not None:
        recent |= Q(pk__in=current.values("pk"))
    return (
        incidents_visible_to(user)
        .filter(recent)
        .only("id", "reference", "occurred_on", "category", "summary")
        .order_by("-occurred_on", "-created_at")
    )


def incident_choice_label(incident: Incident) -> str:
    """An incident as a picker shows it: reference, date, category and what happened in a few
    words, in one box beside the tick, so that its parts wrap under one another on a phone."""
    category = f" \u00b7 {incident.get_category_display()}" if incident.category else ""
    return format_html(
        '<span class="incident-choice"><span class="suggestion-reference">{}</span> '
        '<span class="suggestion-meta">{}{}</span> '
        '<span class="incident-line-summary">{}</span></span>',
        incident.reference,
        date_format(incident.occurred_on, "j M Y"),
        category,
        summary_line(incident.summary),
    )


def incident_matches(incidents: QuerySet[Incident], query: str) -> Matches:
    """The incidents among `incidents` whose reference, date, category or kind holds every word
    typed, newest first, at most pickers.LIMIT. These are never encrypted, so nothing is
    decrypted to match; only the summaries of the matches shown are (and counted as shown)."""
    words = normalized(query).split()
    found: list[Any] = []
    more = False
    # A year holds a few hundred dates and a handful of labels: each is worded once per search.
    days: dict[date, str] = {}
    categories = {value: str(label).casefold() for value, label in Category.choices}
    kinds = {value: str(label).casefold() for value, label in Kind.choices}
    rows = incidents.values_list("pk", "reference", "occurred_on", "category", "kind")
    for pk, reference, occurred_on, category, kind in rows.iterator(chunk_size=2000):
        if occurred_on not in days:
            days[occurred_on] = " ".join(
                [
                    date_format(occurred_on, "j F Y"),
                    date_format(occurred_on, "j M Y"),
                    occurred_on.isoformat(),
                ]
            ).casefold()
        category_label = categories.get(category, "")
        plain = f"{reference.casefold()} {days[occurred_on]} {category_label} {kinds[kind]}"
        if all(word in plain for word in words):
            if len(found) == LIMIT:
                more = True
                break
            found.append(pk)
    shown = {incident.pk: incident for incident in incidents.filter(pk__in=found)}
    matches = [Match(str(pk), incident_choice_label(shown[pk])) for pk in found if pk in shown]
    return Matches(query=query, found=matches, more=more)
