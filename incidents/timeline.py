"""The timeline's pages: keyset pagination, newest first.

A page is found from the incident at its edge, never by OFFSET: the database skips to it through
the index on (occurred_on, created_at, id) whatever the depth, where an OFFSET reads and throws
away every row before it. The address names that incident by its random code only (as its own
page does): no date, no words. The code is looked up among the incidents the user may see with
the filters applied, so a code of one they may not see says nothing: they get the first page.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet

from incidents.models import Incident

PAGE_SIZE = 25
# The list counts the incidents up to here and says "more than" beyond: an exact count reads every
# visible row (tens of milliseconds at 100,000), and nobody needs to know it was 81,212, not
# 81,213. Filters narrow it to an exact figure.
COUNTED_UP_TO = 1000
# Newest first; the id settles incidents logged at the same moment, so every row has one place.
NEWEST_FIRST = ("-occurred_on", "-created_at", "-id")
OLDEST_FIRST = ("occurred_on", "created_at", "id")


@dataclass(frozen=True)
class TimelinePage:
    """One page of incidents and the codes of the incidents the pages beside it start from."""

    incidents: list[Incident]
    counted: int  # the incidents matching, on all pages, counted up to COUNTED_UP_TO + 1
    # The last incident shown, for "Older"; the first, for "Newer". None: no page that way.
    older_than: UUID | None = None
    newer_than: UUID | None = None

    def __iter__(self) -> Iterator[Incident]:
        return iter(self.incidents)

    def __len__(self) -> int:
        return len(self.incidents)

    @property
    def count(self) -> int:
        return min(self.counted, COUNTED_UP_TO)

    @property
    def more(self) -> bool:
        """More match than `count` says."""
        return self.counted > COUNTED_UP_TO


def older_than(incidents: QuerySet[Incident], edge: Incident) -> QuerySet[Incident]:
    """The incidents after `edge` in the timeline's order, newest first."""
    return incidents.filter(_beyond(edge, "lt")).order_by(*NEWEST_FIRST)


def newer_than(incidents: QuerySet[Incident], edge: Incident) -> QuerySet[Incident]:
    """The incidents before `edge` in the timeline's order, oldest first (nearest first)."""
    return incidents.filter(_beyond(edge, "gt")).order_by(*OLDEST_FIRST)


def _beyond(edge: Incident, way: str) -> Q:
    """Rows past `edge` in the order (occurred_on, created_at, id), as a range on the index's
    first column the planner can use, refined by the other two."""
    day, logged, pk = edge.occurred_on, edge.created_at, edge.pk
    return Q(**{f"occurred_on__{way}e": day}) & (
        Q(**{f"occurred_on__{way}": day})
        | Q(occurred_on=day, **{f"created_at__{way}": logged})
        | Q(occurred_on=day, created_at=logged, **{f"id__{way}": pk})
    )


def timeline_page(
    incidents: QuerySet[Incident], *, older: str | None = None, newer: str | None = None
) -> TimelinePage:
    """The page of `incidents` (filtered, visible to the user) older or newer than the incident
    whose code is given, or the first page. Three queries: the edge, the rows, the count."""
    counted = incidents.order_by()[: COUNTED_UP_TO + 1].count()
    # One direction: the older link wins over a newer one in an address made by hand.
    if older:
        newer = None
    edge = _edge(incidents, older or newer)
    if edge is not None and newer:
        rows = list(newer_than(shown_of(incidents), edge)[: PAGE_SIZE + 1])
        if len(rows) > PAGE_SIZE:
            shown = rows[:PAGE_SIZE][::-1]
            return TimelinePage(shown, counted, older_than=shown[-1].pk, newer_than=shown[0].pk)
        # Fewer than a page is newer: that is the first page, full.
        edge = None
    rows = list(older_than(shown_of(incidents), edge)[: PAGE_SIZE + 1]) if edge else []
    if not rows:
        # The first page; also when nothing is older than the edge (an address made by hand).
        edge, rows = None, list(shown_of(incidents).order_by(*NEWEST_FIRST)[: PAGE_SIZE + 1])
    shown = rows[:PAGE_SIZE]
    return TimelinePage(
        shown,
        counted,
        older_than=shown[-1].pk if len(rows) > PAGE_SIZE else None,
        newer_than=shown[0].pk if edge is not None else None,
    )


def shown_of(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """The rows with the place each line names, in the same query."""
    return incidents.select_related("place")


def _edge(incidents: QuerySet[Incident], code: str | None) -> Incident | None:
    """The incident a page starts from, if the code names one among `incidents`."""
    if not code:
        return None
    try:
        pk = UUID(code)
    except ValueError:
        return None
    return incidents.filter(pk=pk).only("id", "occurred_on", "created_at").first()
