"""Patterns: incidents that belong together, for coordinators to look at as one.

Step 2 of assessing a threat asks whether there is a pattern over time: the same means, timing,
place or actor as before. Two things link incidents here:

- a threat assessment that names other incidents as related (its step 2), and
- the same place and the same suspected source, within WINDOW of the first of them.

The window is anchored, not chained. Chaining (each incident close to the one before) once made
one "pattern" of 27 incidents over 18 months, which nobody can read as one: incidents 20 days
apart never leave a gap, so splitting chains at gaps would not have helped. Instead the first
incident at a place from a source opens a window; the incidents within WINDOW of it join it;
the first one after the window opens the next. So no pattern found this way spans more than the
window, and a long run of incidents shows as several patterns, one after another.

A threat assessment's links are a coordinator's judgement, not a guess: they join incidents
whatever the dates. They make patterns of their own (clusters of linked incidents, by
union-find) rather than joining the windows of their incidents, which would chain windows into
the long patterns the window is there to stop. An incident both linked and close to others is
in two patterns, each saying why.

Each incident says why it belongs (`Member.reasons`). Only the incidents the user may see take
part, and a link through an incident they may not see does not count, so a pattern never hints
at what is hidden. The clustering reads unencrypted columns only; place and actor names and the
incidents' summaries are decrypted for the patterns on screen, in one query each.

The database hands the clustering only the incidents that can be in a pattern: those linked by a
threat assessment, and those with another incident at the same place from the same source within
WINDOW before or after. An incident with none is a window of its own and never anchors or joins
another, so leaving it out changes no pattern; and most incidents of a large organization are
such, so the work follows the number of patterns, not of incidents.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import Lag, Lead
from django.utils.translation import gettext, ngettext

from allies.models import Actor
from incidents.models import Category, Incident, Kind, ThreatAssessment
from incidents.selectors import summary_line
from safespaces.places.models import Place

WINDOW = timedelta(days=90)
# A pattern lists its newest incidents up to this many; the timeline has the rest. A page of
# patterns stays short however long a chain grows.
SHOWN = 12
COLUMNS = (
    "id",
    "reference",
    "occurred_on",
    "kind",
    "category",
    "severity",
    "place_id",
    "source_id",
)


class Member(NamedTuple):
    """An incident in a pattern: its unencrypted columns, why it belongs, and the names and
    summary added for those shown. A named tuple, not a dataclass: a page copies a few thousand
    of them with a field changed, and `_replace` costs a tenth of `dataclasses.replace`."""

    id: uuid.UUID
    reference: str
    occurred_on: date
    kind: str
    category: str
    severity: int
    place_id: uuid.UUID | None
    source_id: uuid.UUID | None
    place: str = ""
    source: str = ""
    summary: str = ""
    # Same place and source: the first incident of its window, and how many days after it this
    # one came (`anchor` empty for that first one, which has `opens_window`).
    anchor: str = ""
    days_after: int = 0
    opens_window: bool = False
    # Threat assessments: the incidents this one's links to, and those whose link to it.
    links_to: tuple[str, ...] = ()
    linked_from: tuple[str, ...] = ()

    @property
    def reasons(self) -> list[str]:
        """Why the incident is in its pattern, in words, as many reasons as apply."""
        found = []
        if self.anchor and self.days_after == 0:
            found.append(
                gettext("same place and suspected source as %(first)s, the same day")
                % {"first": self.anchor}
            )
        elif self.anchor:
            found.append(
                ngettext(
                    "same place and suspected source as %(first)s, %(days)d day later",
                    "same place and suspected source as %(first)s, %(days)d days later",
                    self.days_after,
                )
                % {"first": self.anchor, "days": self.days_after}
            )
        elif self.opens_window:
            found.append(gettext("same place and suspected source: the first of them"))
        if self.links_to:
            found.append(
                gettext("its threat assessment links %(references)s")
                % {"references": ", ".join(self.links_to)}
            )
        if self.linked_from:
            found.append(
                gettext("linked in the threat assessment of %(references)s")
                % {"references": ", ".join(self.linked_from)}
            )
        return found

    def get_kind_display(self) -> str:
        return str(Kind(self.kind).label)

    def get_category_display(self) -> str:
        return str(Category(self.category).label) if self.category else ""


@dataclass(frozen=True)
class Shared:
    """A place and a source that incidents of the pattern had in common, close in time."""

    place_id: uuid.UUID
    source_id: uuid.UUID
    place: str = ""
    source: str = ""


@dataclass(frozen=True)
class Pattern:
    members: list[Member]  # newest first
    assessed: bool  # a threat assessment links some of them
    shared: list[Shared] = field(default_factory=list)

    @property
    def shown(self) -> list[Member]:
        return self.members[:SHOWN]

    @property
    def not_shown(self) -> int:
        return max(0, len(self.members) - SHOWN)

    @property
    def latest(self) -> date:
        return self.members[0].occurred_on

    @property
    def earliest(self) -> date:
        return self.members[-1].occurred_on


class _Groups:
    """Union-find over incident ids, with path halving."""

    def __init__(self) -> None:
        self.parent: dict[uuid.UUID, uuid.UUID] = {}

    def find(self, item: uuid.UUID) -> uuid.UUID:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: uuid.UUID, b: uuid.UUID) -> None:
        self.parent[self.find(a)] = self.find(b)


def assessment_links(incidents: QuerySet[Incident]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Pairs (assessed incident, related incident) with both ends in `incidents`, in one query."""
    through = ThreatAssessment.linked_incidents.through
    return list(
        through.objects.filter(
            threatassessment__incident__in=incidents, incident__in=incidents
        ).values_list("threatassessment__incident_id", "incident_id")
    )


def _windows(same: list[Member], window: timedelta) -> list[list[Member]]:
    """Incidents at one place from one source, oldest first, cut into windows: each window
    holds its first incident and those within `window` of it (not of the one before)."""
    windows: list[list[Member]] = []
    for member in same:
        if windows and member.occurred_on - windows[-1][0].occurred_on <= window:
            windows[-1].append(member)
        else:
            windows.append([member])
    return windows


def _newest_first(group: list[Member]) -> list[Member]:
    return sorted(group, key=lambda m: (m.occurred_on, m.reference), reverse=True)


def _assessed_patterns(
    members: dict[uuid.UUID, Member], links: list[tuple[uuid.UUID, uuid.UUID]]
) -> list[Pattern]:
    """Incidents joined by threat assessments' links, each saying which links hold it there."""
    groups = _Groups()
    links_to: dict[uuid.UUID, set[str]] = defaultdict(set)
    linked_from: dict[uuid.UUID, set[str]] = defaultdict(set)
    for a, b in links:
        if a in members and b in members and a != b:
            groups.join(a, b)
            links_to[a].add(members[b].reference)
            linked_from[b].add(members[a].reference)
    clusters: dict[uuid.UUID, list[Member]] = defaultdict(list)
    for pk in groups.parent:
        member = members[pk]._replace(
            links_to=tuple(sorted(links_to.get(pk, ()))),
            linked_from=tuple(sorted(linked_from.get(pk, ()))),
        )
        clusters[groups.find(pk)].append(member)
    return [Pattern(_newest_first(group), assessed=True) for group in clusters.values()]


def _close_patterns(members: dict[uuid.UUID, Member], window: timedelta) -> list[Pattern]:
    """Incidents at one place from one source, a window at a time, each saying how long after
    the window's first it came."""
    by_place_and_source: dict[tuple[uuid.UUID, uuid.UUID], list[Member]] = defaultdict(list)
    for member in members.values():
        if member.place_id is not None and member.source_id is not None:
            by_place_and_source[(member.place_id, member.source_id)].append(member)
    patterns = []
    for (place, source), same in by_place_and_source.items():
        same.sort(key=lambda m: (m.occurred_on, m.reference))
        for first, *rest in _windows(same, window):
            if not rest:
                continue
            group = [first._replace(opens_window=True)] + [
                later._replace(
                    anchor=first.reference,
                    days_after=(later.occurred_on - first.occurred_on).days,
                )
                for later in rest
            ]
            patterns.append(
                Pattern(_newest_first(group), assessed=False, shared=[Shared(place, source)])
            )
    return patterns


def pattern_candidates(
    incidents: QuerySet[Incident],
    window: timedelta,
    links: list[tuple[uuid.UUID, uuid.UUID]],
) -> list[tuple[Any, ...]]:
    """The unencrypted columns (COLUMNS) of the incidents that can be in a pattern: those with a
    neighbour at their place from their source, and those the threat assessments' `links` name
    (pairs with both ends among `incidents`, as assessment_links gives them: a link to an
    incident the user may not see makes no pattern, so its visible end is no candidate for it).

    Two queries. An incident's neighbours are the ones just before and after it at its place
    from its source (LAG and LEAD over the index on place, source and date): within `window` of
    either, it can join or anchor a window. One ordered read, not one look-up per incident. By
    date alone: incidents of the same day are each other's neighbours whatever their order, so
    the index's own order will do, with no sort.

    Within WINDOW, only the incidents flagged `near_another` are read (a few in a hundred, from
    their own index), and that changes no answer. The flag is set for every incident with
    another within WINDOW at its place from its source, anyone's; it may also be left set on
    some without one. If a visible incident has a visible neighbour within `window`, both are
    flagged, so among the visible flagged incidents it still has that neighbour, or one nearer,
    just before or after it. An incident without a visible neighbour within `window` has none
    among fewer incidents either. So the flagged ones give the same candidates as all of them.
    """
    place_and_source = [F("place_id"), F("source_id")]
    in_date_order = [F("occurred_on").asc()]
    placed = incidents.filter(place__isnull=False, source__isnull=False)
    if window <= WINDOW:
        placed = placed.filter(near_another=True)
    close = (
        placed.annotate(
            before=Window(
                Lag("occurred_on"), partition_by=place_and_source, order_by=in_date_order
            ),
            after=Window(
                Lead("occurred_on"), partition_by=place_and_source, order_by=in_date_order
            ),
        )
        .filter(Q(before__gte=F("occurred_on") - window) | Q(after__lte=F("occurred_on") + window))
        .order_by()
        .values_list(*COLUMNS)
    )
    # By their keys: "in the links' incidents" as subqueries made the database read every row.
    linked = incidents.filter(pk__in={pk for pair in links for pk in pair}).order_by()
    rows = {row[0]: row for row in close}
    rows.update((row[0], row) for row in linked.values_list(*COLUMNS))
    return list(rows.values())


def patterns_in(incidents: QuerySet[Incident], *, window: timedelta = WINDOW) -> list[Pattern]:
    """The patterns among `incidents` (those the user may see), newest first, in three queries.

    A pattern found by place and source spans at most `window` (see the module's docstring).
    Threat assessments' links make patterns of their own, so they never stretch one of those:
    an incident both linked and close to others shows in both, each saying why.
    """
    links = assessment_links(incidents)
    candidates = pattern_candidates(incidents, window, links)
    members = {row[0]: Member(*row) for row in candidates}
    patterns = _assessed_patterns(members, links) + _close_patterns(members, window)
    # Newest first; of two ending with the same incident, the assessed one first.
    patterns.sort(key=lambda p: (p.latest, p.members[0].reference, p.assessed), reverse=True)
    return patterns


def with_names(
    patterns: list[Pattern],
    *,
    incidents: QuerySet[Incident],
    actors: QuerySet[Actor],
    hidden_source: str,
) -> list[Pattern]:
    """The patterns with the summaries of the incidents they show and the names of the places
    and sources, decrypted for these only.

    Three queries whatever the number of patterns. A summary is read from `incidents` (those the
    user may see) and a source from `actors`: what is outside them stays unsaid.
    """
    shown = [m for p in patterns for m in p.shown]
    place_ids = {m.place_id for m in shown if m.place_id} | {
        s.place_id for p in patterns for s in p.shared
    }
    source_ids = {m.source_id for m in shown if m.source_id} | {
        s.source_id for p in patterns for s in p.shared
    }
    summaries = {
        incident.pk: summary_line(incident.summary)
        for incident in incidents.filter(pk__in=[m.id for m in shown]).only("id", "summary")
    }
    # By primary key; a member without a place (None) gets the default.
    places: dict[uuid.UUID | None, str] = {
        place.pk: place.name for place in Place.objects.filter(pk__in=place_ids).only("id", "name")
    }
    sources = {
        actor.pk: actor.name for actor in actors.filter(pk__in=source_ids).only("id", "name")
    }

    def source_name(pk: uuid.UUID | None) -> str:
        return "" if pk is None else sources.get(pk, hidden_source)

    return [
        replace(
            pattern,
            members=[
                m._replace(
                    place=places.get(m.place_id, ""),
                    source=source_name(m.source_id),
                    summary=summaries.get(m.id, ""),
                )
                for m in pattern.shown
            ]
            + pattern.members[SHOWN:],
            shared=[
                replace(s, place=places.get(s.place_id, ""), source=source_name(s.source_id))
                for s in pattern.shared
            ],
        )
        for pattern in patterns
    ]
