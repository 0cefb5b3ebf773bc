"""Patterns: incidents that belong together, for coordinators to look at as one.

Step 2 of assessing a threat asks whether there is a pattern over time: the same means, timing,
place or actor as before. Two things link incidents here:

- a threat assessment that names other incidents as related (its step 2), and
- the same place and the same suspected source, within WINDOW of each other. The window chains:
  three incidents 60 days apart form one pattern, though the first and last are 120 days apart.

Linked incidents form clusters (union-find); a cluster of two or more is a pattern. Only the
incidents the user may see take part, and a link through an incident they may not see does not
count, so a pattern never hints at what is hidden. The clustering reads unencrypted columns only;
place and actor names are decrypted for the patterns on screen, in one query each.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from allies.models import Actor
from incidents.models import Category, Incident, Kind, ThreatAssessment
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


@dataclass(frozen=True)
class Member:
    """An incident in a pattern: its unencrypted columns, and names added for those shown."""

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


def patterns_in(incidents: QuerySet[Incident], *, window: timedelta = WINDOW) -> list[Pattern]:
    """The patterns among `incidents` (those the user may see), newest first, in two queries."""
    links = assessment_links(incidents)
    through = ThreatAssessment.linked_incidents.through
    candidates = (
        incidents.filter(
            Q(place__isnull=False, source__isnull=False)
            | Q(pk__in=through.objects.values("incident_id"))
            | Q(pk__in=through.objects.values("threatassessment__incident_id"))
        )
        .order_by()
        .values_list(*COLUMNS)
    )
    members = {row[0]: Member(*row) for row in candidates}
    groups = _Groups()
    for a, b in links:
        if a in members and b in members:
            groups.join(a, b)
    # Same place and source: sorted by date, each incident joins the one before it if close.
    by_place_and_source: dict[tuple[uuid.UUID, uuid.UUID], list[Member]] = defaultdict(list)
    for member in members.values():
        if member.place_id is not None and member.source_id is not None:
            by_place_and_source[(member.place_id, member.source_id)].append(member)
    shared_by_root: dict[uuid.UUID, set[tuple[uuid.UUID, uuid.UUID]]] = defaultdict(set)
    close_pairs = []
    for pair, same in by_place_and_source.items():
        same.sort(key=lambda m: (m.occurred_on, m.reference))
        for before, after in zip(same, same[1:], strict=False):
            if after.occurred_on - before.occurred_on <= window:
                groups.join(before.id, after.id)
                close_pairs.append((pair, before.id))
    for pair, pk in close_pairs:
        shared_by_root[groups.find(pk)].add(pair)
    assessed_roots = {groups.find(a) for a, b in links if a in members and b in members}
    clusters: dict[uuid.UUID, list[Member]] = defaultdict(list)
    for pk in groups.parent:
        clusters[groups.find(pk)].append(members[pk])
    patterns = [
        Pattern(
            members=sorted(group, key=lambda m: (m.occurred_on, m.reference), reverse=True),
            assessed=root in assessed_roots,
            shared=[Shared(place, source) for place, source in sorted(shared_by_root[root])],
        )
        for root, group in clusters.items()
        if len(group) > 1
    ]
    patterns.sort(key=lambda p: (p.latest, p.members[0].reference), reverse=True)
    return patterns


def with_names(
    patterns: list[Pattern], *, actors: QuerySet[Actor], hidden_source: str
) -> list[Pattern]:
    """The patterns with the names of the places and sources they show, decrypted for these only.

    Two queries whatever the number of patterns. A source outside `actors` is not named.
    """
    shown = [m for p in patterns for m in p.shown]
    place_ids = {m.place_id for m in shown if m.place_id} | {
        s.place_id for p in patterns for s in p.shared
    }
    source_ids = {m.source_id for m in shown if m.source_id} | {
        s.source_id for p in patterns for s in p.shared
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
                replace(m, place=places.get(m.place_id, ""), source=source_name(m.source_id))
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
