"""Trends of the incident book, counted by the database.

The incidents the user may see, filtered, are grouped with GROUP BY on unencrypted columns: no
incident is loaded into Python, so a page of trends costs the same few queries for ten incidents
as for a hundred thousand. Only the handful of place and actor names a chart shows are decrypted.
Counts of whole visibilities are kept between requests a month at a time and counted again only
where incidents changed (incidents.monthly); the user's own and named incidents are counted for
each request.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.db import connections
from django.db.models import (
    Case,
    CharField,
    DateField,
    F,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncMonth
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from allies.models import Actor
from incidents.charts import (
    PALETTE_SIZE,
    BarChart,
    ColumnChart,
    Entry,
    Series,
    horizontal_bars,
    stacked_columns,
)
from incidents.models import Category, Incident, Severity
from incidents.monthly import KEPT, Kept, month_revisions
from incidents.selectors import Sight
from safespaces.places.models import Place

# Without dates chosen, trends cover this many months up to today.
MONTHS = 24
# The longest period one can choose: ten years of monthly columns still read as a chart.
MAX_MONTHS = 120
# Places and sources drawn one by one; the rest are counted together.
TOP = 8
# The category of an incident not yet categorised: its own series, after the eleven.
NO_CATEGORY = ""
NO_CATEGORY_LABEL = _("Not categorised yet")
# Categories the monthly chart draws one by one; the rest are stacked together as "Other".
TOP_CATEGORIES = 5  # fewer than the palette's fills: the last is kept for "Other"
# The key of that series: not a category code. The category "Other" always goes in it, so the
# key never shows two series called "Other".
OTHER = "rest"
OTHER_LABEL = _("Other")
# The filters of the page, applied to any set of incidents.
Narrow = Callable[[QuerySet[Incident]], QuerySet[Incident]]


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """The days the trends cover, both included."""

    first: date
    last: date
    chosen: bool  # False: the default, the last MONTHS months

    @property
    def months(self) -> list[date]:
        """The first day of every month the period touches, oldest first."""
        months, month = [], first_of_month(self.first)
        while month <= self.last:
            months.append(month)
            month = add_months(month, 1)
        return months

    def filter(self, incidents: QuerySet[Incident]) -> QuerySet[Incident]:
        return incidents.filter(occurred_on__gte=self.first, occurred_on__lte=self.last)

    @property
    def whole_months(self) -> bool:
        """Whether it starts on the first of a month and ends on the last of one."""
        after = add_months(first_of_month(self.last), 1)
        return self.first.day == 1 and self.last == after - timedelta(days=1)

    @property
    def span(self) -> str:
        """The months of the chart's columns, first and last: "January 2025 – December 2026"."""
        months = self.months
        if not months:
            return ""
        first, last = (formats.date_format(m, "F Y") for m in (months[0], months[-1]))
        return first if first == last else f"{first} – {last}"

    def describe(self, total: int) -> str:
        """What the page counts, in words that say exactly which months and days it covers."""
        values = {
            "months": len(self.months),
            "span": self.span,
            "first": formats.date_format(self.first, "j F Y"),
            "last": formats.date_format(self.last, "j F Y"),
            "total": total,
        }
        if not self.chosen:
            # The current month is one of the columns, counted up to today.
            text = ngettext(
                "The last %(months)d months, %(span)s, up to today, %(last)s: %(total)d incident.",
                "The last %(months)d months, %(span)s, up to today, %(last)s: %(total)d incidents.",
                total,
            )
        elif self.whole_months:
            text = ngettext(
                "%(span)s: %(total)d incident.", "%(span)s: %(total)d incidents.", total
            )
        elif self.months:
            text = ngettext(
                "From %(first)s to %(last)s, in the months %(span)s: %(total)d incident.",
                "From %(first)s to %(last)s, in the months %(span)s: %(total)d incidents.",
                total,
            )
        else:  # the end comes before the start: nothing is counted
            text = ngettext(
                "From %(first)s to %(last)s: %(total)d incident.",
                "From %(first)s to %(last)s: %(total)d incidents.",
                total,
            )
        return text % values


def period_between(since: date | None, until: date | None, *, today: date) -> Period:
    """The dates chosen in the filter; either left empty is filled so that MONTHS months show."""
    if since is None and until is None:
        return Period(add_months(first_of_month(today), 1 - MONTHS), today, chosen=False)
    if until is None:
        until = max(today, since) if since else today
    if since is None:
        since = add_months(first_of_month(until), 1 - MONTHS)
    return Period(since, until, chosen=True)


@dataclass(frozen=True)
class Month:
    month: date
    counts: dict[str, int]  # by category code, NO_CATEGORY for the uncategorised

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, category: str) -> int:
        return self.counts.get(category, 0)


# Buckets of the time from logging an incident to the team's first look at it.
REVIEW_BUCKETS: list[tuple[str, Promise, timedelta | None, timedelta | None]] = [
    ("day", _("Within a day"), None, timedelta(days=1)),
    ("days", _("2 to 3 days"), timedelta(days=1), timedelta(days=3)),
    ("week", _("4 to 7 days"), timedelta(days=3), timedelta(days=7)),
    ("longer", _("Over a week"), timedelta(days=7), None),
]
PENDING = "pending"


@dataclass
class Counts:
    """Every count the charts draw, from one pass over the incidents. Counts of parts of the
    incidents (months, visibilities) add up to the counts of the whole. Counts that are kept
    (kept_counts) are shared: only ever added to a new Counts, never changed."""

    by_month: dict[tuple[date, str], int] = field(default_factory=dict)  # (month, category)
    # Places and sources by their keys as the database writes them in text: adding up text is
    # several times faster than adding up UUIDs, whose hash and equality are written in Python.
    by_place: dict[str | None, int] = field(default_factory=dict)
    by_source: dict[str | None, int] = field(default_factory=dict)
    by_severity: dict[int, int] = field(default_factory=dict)
    by_review: dict[str, int] = field(default_factory=dict)  # a REVIEW_BUCKETS key, or PENDING

    def add(self, more: "Counts") -> None:
        for mine, theirs in zip(self._tables, more._tables, strict=True):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count

    @property
    def _tables(self) -> tuple[dict[Any, int], ...]:
        return (self.by_month, self.by_place, self.by_source, self.by_severity, self.by_review)


def _review_bucket() -> Case:
    """The REVIEW_BUCKETS key of an incident. Date arithmetic on columns (F + timedelta) works
    alike on SQLite and Postgres."""
    buckets = []
    for key, _label, after, within in REVIEW_BUCKETS:
        waited = Q(first_reviewed_at__isnull=False)
        if after is not None:
            waited &= Q(first_reviewed_at__gt=F("created_at") + after)
        if within is not None:
            waited &= Q(first_reviewed_at__lte=F("created_at") + within)
        buckets.append(When(waited, then=Value(key)))
    return Case(*buckets, default=Value(PENDING), output_field=CharField())


# Five groupings of the same rows, each within its month, read once: the incidents are scanned
# one time, not once per chart. Written as SQL because the ORM has neither GROUPING SETS nor
# WITH; the inner query is the ORM's, with its parameters, so visibility is decided in one place
# as everywhere else. Each row comes back as (grouping, month, key, count), keys as text, the
# one type every grouping can share.
_GROUPINGS = {
    # Postgres groups the rows five ways in one pass, without keeping them.
    "postgresql": """
SELECT
    CASE WHEN GROUPING(category) = 0 THEN 'month' WHEN GROUPING(place_id) = 0 THEN 'place'
        WHEN GROUPING(source_id) = 0 THEN 'source' WHEN GROUPING(severity) = 0 THEN 'severity'
        ELSE 'review' END,
    CAST(month AS TEXT),
    CASE WHEN GROUPING(category) = 0 THEN category
        WHEN GROUPING(place_id) = 0 THEN CAST(place_id AS TEXT)
        WHEN GROUPING(source_id) = 0 THEN CAST(source_id AS TEXT)
        WHEN GROUPING(severity) = 0 THEN CAST(severity AS TEXT) ELSE review END,
    COUNT(*)
FROM ({picked}) AS picked
GROUP BY GROUPING SETS (
    (month, category), (month, place_id), (month, source_id), (month, severity), (month, review)
)
""",
    # SQLite has no GROUPING SETS: the rows are kept once (WITH) and grouped five times.
    "sqlite": """
WITH picked AS ({picked})
SELECT 'month', CAST(month AS TEXT), category, COUNT(*) FROM picked GROUP BY month, category
UNION ALL
SELECT 'place', CAST(month AS TEXT), CAST(place_id AS TEXT), COUNT(*) FROM picked
    GROUP BY month, place_id
UNION ALL
SELECT 'source', CAST(month AS TEXT), CAST(source_id AS TEXT), COUNT(*) FROM picked
    GROUP BY month, source_id
UNION ALL
SELECT 'severity', CAST(month AS TEXT), CAST(severity AS TEXT), COUNT(*) FROM picked
    GROUP BY month, severity
UNION ALL
SELECT 'review', CAST(month AS TEXT), review, COUNT(*) FROM picked GROUP BY month, review
""",
}


def counts_by_month(incidents: QuerySet[Incident]) -> dict[date, Counts]:
    """Count `incidents` (already filtered) by category, place, source, severity and time to
    review, each month apart, in one query. Months without incidents are left out."""
    picked = (
        incidents.order_by()  # the default ordering would be carried into the WITH for nothing
        .annotate(
            month=TruncMonth("occurred_on", output_field=DateField()), review=_review_bucket()
        )
        .values("month", "category", "place_id", "source_id", "severity", "review")
    )
    sql, params = picked.query.get_compiler(using=incidents.db).as_sql()
    months: dict[date, Counts] = {}
    connection = connections[incidents.db]
    with connection.cursor() as cursor:
        cursor.execute(_GROUPINGS[connection.vendor].format(picked=sql), params)
        for grouping, month_text, key, count in cursor.fetchall():
            month = date.fromisoformat(month_text[:10])
            counts = months.setdefault(month, Counts())
            if grouping == "month":
                counts.by_month[(month, key)] = count
            elif grouping == "place":
                counts.by_place[key] = count
            elif grouping == "source":
                counts.by_source[key] = count
            elif grouping == "severity":
                counts.by_severity[int(key)] = count
            else:
                counts.by_review[key] = count
    return months


def counts_of(incidents: QuerySet[Incident]) -> Counts:
    """Every count of `incidents` (already filtered), counted now."""
    total = Counts()
    for counts in counts_by_month(incidents).values():
        total.add(counts)
    return total


class _KeptKey(NamedTuple):
    """What counts are kept under: the database, the query (a whole visibility, narrowed by the
    filters) with its parameters, and the days counted (a month's, or the whole period's)."""

    database: str
    sql: str
    params: tuple[Any, ...]
    days: tuple[date, date]


# Each server's counts of whole visibilities (see incidents.monthly): a month at a time, and
# added up over the periods asked for, so that a page whose months did not change adds nothing.
_kept_months: Kept[Counts] = Kept()
_kept_periods: Kept[Counts] = Kept(size=KEPT // 4)


def kept_counts_forget() -> None:
    """Forget every kept count: for tests, whose rolled-back databases repeat revisions."""
    _kept_months.clear()
    _kept_periods.clear()


def _days_of(month: date, period: Period) -> tuple[date, date]:
    """The days of `month` within `period`: all of them, except at the period's ends."""
    last = add_months(month, 1) - timedelta(days=1)
    return max(month, period.first), min(last, period.last)


def _runs(months: list[date]) -> list[tuple[date, date]]:
    """The first and last month of each run of consecutive months (oldest first)."""
    runs: list[tuple[date, date]] = []
    for month in months:
        if runs and add_months(runs[-1][1], 1) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def kept_counts(
    incidents: QuerySet[Incident], period: Period, revisions: dict[date, int]
) -> Counts:
    """The counts of `incidents` within `period`: kept as they are while no month of it
    changed, or else added up month by month, those kept at the month's revision as they are and
    the others counted in one query and kept.

    `incidents` must be the same for every user who asks for them (a whole visibility, narrowed
    by the filters other than the dates): they are kept under their own SQL and parameters,
    which the days complete.
    """
    sql, params = incidents.query.get_compiler(using=incidents.db).as_sql()
    whole = _KeptKey(incidents.db, sql, tuple(params), (period.first, period.last))
    period_revision = tuple(revisions[month] for month in period.months)
    kept = _kept_periods.get(whole, period_revision)
    if kept is not None:
        return kept
    total = Counts()
    missing: dict[date, _KeptKey] = {}
    for month in period.months:
        key = whole._replace(days=_days_of(month, period))
        found = _kept_months.get(key, revisions[month])
        if found is None:
            missing[month] = key
        else:
            total.add(found)
    if missing:
        in_missing = reduce(
            or_,
            (
                Q(occurred_on__range=(_days_of(first, period)[0], _days_of(last, period)[1]))
                for first, last in _runs(list(missing))
            ),
        )
        counted = counts_by_month(incidents.filter(in_missing))
        for month, key in missing.items():
            counts = counted.get(month, Counts())
            _kept_months.put(key, revisions[month], counts)
            total.add(counts)
    _kept_periods.put(whole, period_revision, total)
    return total


def book_counts(sight: Sight, narrow: Narrow, period: Period) -> Counts:
    """The counts of the incidents the user sees (`sight`), narrowed by the filters other than
    the dates, within `period`: those of whole visibilities kept month by month and shared with
    every user who sees them, the user's own and named ones counted for them now.

    A period longer than a third of what a server keeps is counted now, whole: its months would
    push out those of the periods most people ask for."""
    total = Counts()
    if sight.whole and period.months and len(period.months) <= KEPT // 3:
        database = Incident.objects.db
        revisions = month_revisions(period.months, using=database)
        for visibility in sight.whole:
            seen_by_all = narrow(Incident.objects.using(database).filter(visibility=visibility))
            total.add(kept_counts(seen_by_all, period, revisions))
    elif sight.whole:
        total.add(
            counts_of(period.filter(narrow(Incident.objects.filter(visibility__in=sight.whole))))
        )
    if sight.rest is not None:
        total.add(counts_of(period.filter(narrow(sight.rest))))
    return total


def per_month(counts: Counts, period: Period) -> list[Month]:
    """Incidents per month and category, every month of the period, empty ones included."""
    counted: dict[date, dict[str, int]] = {}
    for (month, category), count in counts.by_month.items():
        counted.setdefault(month, {})[category] = count
    return [Month(month, counted.get(month, {})) for month in period.months]


@dataclass(frozen=True)
class Tally:
    """One bar: what is counted, and how many incidents."""

    key: str
    label: str | Promise
    count: int
    leftover: bool = False  # a bar for the rest: other places, unknown, hidden

    def entry(self) -> Entry:
        return Entry(self.key, str(self.label), self.count, self.leftover)


def _top(rows: list[tuple[Any, int]], top: int) -> tuple[list[tuple[Any, int]], int]:
    """The `top` largest counts, largest first (ties in a stable order), and the sum of the rest."""
    ranked = sorted(rows, key=lambda row: (-row[1], str(row[0])))
    return ranked[:top], sum(count for _key, count in ranked[top:])


def by_place(counts: Counts, *, top: int = TOP) -> list[Tally]:
    """The places with the most incidents, then the other places, then "no place given".

    Names are encrypted: only the `top` shown are decrypted, in one query.
    """
    placed = {key: count for key, count in counts.by_place.items() if key is not None}
    unplaced = counts.by_place.get(None, 0)
    top_keys, rest = _top(list(placed.items()), top)
    shown = [(uuid.UUID(key), count) for key, count in top_keys]
    names = {
        place.pk: place.name
        for place in Place.objects.filter(pk__in=[pk for pk, _count in shown]).only("id", "name")
    }
    tallies = [Tally(str(pk), names.get(pk, ""), count) for pk, count in shown]
    if rest:
        tallies.append(Tally("other", _("Other places"), rest, leftover=True))
    if unplaced:
        tallies.append(Tally("none", _("No place given"), unplaced, leftover=True))
    return tallies


@dataclass(frozen=True)
class Sources:
    tallies: list[Tally]
    hidden: int  # incidents whose source the user may not see, counted together


def by_source(counts: Counts, actors: QuerySet[Actor], *, top: int = TOP) -> Sources:
    """The suspected sources with the most incidents, among the `actors` the user may see.

    An incident whose source the user may not see (for staff: an adversary) is counted under one
    bar that names nobody, so the chart adds up without saying who or how many sources there are.
    """
    unknown = counts.by_source.get(None, 0)
    # The keys of the sources the user may see, written as text by the same database as the
    # counts' keys: compared as they are, without a list of a thousand ids sent back.
    seen = set(
        actors.order_by()
        .annotate(key=Cast("pk", output_field=TextField()))
        .values_list("key", flat=True)
    )
    shown_counts = {
        key: count for key, count in counts.by_source.items() if key is not None and key in seen
    }
    hidden = sum(
        count for key, count in counts.by_source.items() if key is not None and key not in seen
    )
    top_keys, rest = _top(list(shown_counts.items()), top)
    shown = [(uuid.UUID(key), count) for key, count in top_keys]
    names = {
        actor.pk: actor.name
        for actor in actors.filter(pk__in=[pk for pk, _count in shown]).only("id", "name")
    }
    tallies = [Tally(str(pk), names.get(pk, ""), count) for pk, count in shown]
    if rest:
        tallies.append(Tally("other", _("Other sources"), rest, leftover=True))
    if hidden:
        tallies.append(Tally("hidden", _("A source only coordinators see"), hidden, leftover=True))
    if unknown:
        tallies.append(Tally("none", _("Source not known"), unknown, leftover=True))
    return Sources(tallies, hidden)


def short_severity(severity: Severity) -> str:
    """ "3 - Moderate" of "3 - Moderate: someone was harmed...": the long form is in the table."""
    return str(severity.label).split(":")[0]


def severity_mix(counts: Counts) -> list[Tally]:
    """How many incidents at each severity, 1 to 5, the empty ones included."""
    return [Tally(str(s.value), s.label, counts.by_severity.get(s.value, 0)) for s in Severity]


def time_to_review(counts: Counts) -> list[Tally]:
    """How long incidents waited for the team's first review."""
    tallies = [
        Tally(key, label, counts.by_review.get(key, 0))
        for key, label, _after, _within in REVIEW_BUCKETS
    ]
    tallies.append(
        Tally(PENDING, _("Not reviewed yet"), counts.by_review.get(PENDING, 0), leftover=True)
    )
    return tallies


# --- The page: the counts, and the charts drawn from them ----------------------------------------


def category_series() -> list[Series]:
    """The eleven categories in the model's order, then the uncategorised: the monthly table's
    columns."""
    series = [Series(c.value, str(c.label), i) for i, c in enumerate(Category)]
    series.append(Series(NO_CATEGORY, str(NO_CATEGORY_LABEL), len(series)))
    return series


def chart_series(months: list[Month], *, top: int = TOP_CATEGORIES) -> list[Series]:
    """What the monthly chart stacks: the `top` categories with the most incidents in the period,
    most first, then "Other" for the rest together (its key is OTHER).

    Twelve colours in a column a few pixels wide cannot be told apart, on a phone or in grey
    print; the table beneath keeps every category.
    """
    categories = category_series()
    totals = {s.key: sum(m.count(s.key) for m in months) for s in categories}
    # Most incidents first; ties in the model's order, the same on every visit.
    ranked = sorted(
        (s for s in categories if totals[s.key] and s.key != Category.OTHER),
        key=lambda s: (-totals[s.key], s.index),
    )
    series = [Series(s.key, s.label, i) for i, s in enumerate(ranked[:top])]
    if sum(totals.values()) > sum(totals[s.key] for s in series):
        # The last fill of the palette is kept for it, whatever the number drawn alone.
        series.append(Series(OTHER, str(OTHER_LABEL), PALETTE_SIZE - 1))
    return series


def _chart_counts(month: Month, series: list[Series]) -> dict[str, int]:
    """A month's counts by series key: the categories drawn alone, the rest under "Other"."""
    alone = {s.key for s in series if s.key != OTHER}
    counts = {key: month.count(key) for key in alone}
    counts[OTHER] = sum(count for key, count in month.counts.items() if key not in alone)
    return counts


def month_chart(months: list[Month], *, rtl: bool) -> ColumnChart:
    labels = [
        (
            formats.date_format(m.month, "F Y"),
            formats.date_format(m.month, "M"),
            formats.date_format(m.month, "Y"),
        )
        for m in months
    ]
    series = chart_series(months)
    counts = [_chart_counts(m, series) for m in months]
    return stacked_columns(labels, counts, series, rtl=rtl)


@dataclass(frozen=True)
class Trends:
    period: Period
    months: list[Month]
    month_chart: ColumnChart
    places: list[Tally]
    place_chart: BarChart
    sources: Sources
    source_chart: BarChart
    severities: list[Tally]
    severity_chart: BarChart
    reviews: list[Tally]
    review_chart: BarChart

    @property
    def total(self) -> int:
        return sum(month.total for month in self.months)

    @property
    def period_label(self) -> str:
        """The period in words, with the number of incidents counted in it."""
        return self.period.describe(self.total)

    @property
    def categories(self) -> list[Series]:
        """The columns of the monthly table: every category counted in the period, in the
        model's order (the chart draws only the largest)."""
        return [s for s in category_series() if any(m.count(s.key) for m in self.months)]

    @property
    def month_rows(self) -> list[tuple[date, list[int], int]]:
        """The monthly table's rows: the month, its count in each of `categories`, its total."""
        keys = [series.key for series in self.categories]
        return [(m.month, [m.count(key) for key in keys], m.total) for m in self.months]

    @property
    def category_totals(self) -> list[int]:
        """Each of `categories` counted over the whole period: the monthly table's foot."""
        return [sum(m.count(series.key) for m in self.months) for series in self.categories]

    @property
    def busiest(self) -> Month | None:
        """The month with the most incidents (the latest of equals), or None if there are none."""
        busiest = max(reversed(self.months), key=lambda m: m.total, default=None)
        return busiest if busiest is not None and busiest.total else None


def trends_of(
    sight: Sight, *, narrow: Narrow, period: Period, actors: QuerySet[Actor], rtl: bool
) -> Trends:
    """Every chart of the trends page, over the incidents in `sight` narrowed by the filters,
    within `period`: the month revisions, the counts not kept yet, the user's own and named
    incidents, the sources they may see, and the names of the places and sources shown."""
    counts = book_counts(sight, narrow, period)
    months = per_month(counts, period)
    places = by_place(counts)
    sources = by_source(counts, actors)
    severities = severity_mix(counts)
    reviews = time_to_review(counts)
    # Severity bars say "3 - Moderate"; the table beneath has the words in full.
    severity_entries = [
        Entry(t.key, short_severity(Severity(int(t.key))), t.count) for t in severities
    ]
    return Trends(
        period=period,
        months=months,
        month_chart=month_chart(months, rtl=rtl),
        places=places,
        place_chart=horizontal_bars([t.entry() for t in places], rtl=rtl),
        sources=sources,
        source_chart=horizontal_bars([t.entry() for t in sources.tallies], rtl=rtl),
        severities=severities,
        severity_chart=horizontal_bars(severity_entries, rtl=rtl),
        reviews=reviews,
        review_chart=horizontal_bars([t.entry() for t in reviews], rtl=rtl),
    )
