"""The geometry of the trends charts: where each bar, tick and label goes on a server-rendered SVG.

Across, positions are percentages of the chart's width; down, they are pixels. The SVG has no
viewBox: it takes the whole width of the page, on a 360 px phone as on a desktop or on paper,
while its text keeps the page's size and stays readable. Right to left, every position is mirrored
and text anchors keep their meaning, because SVG text inherits the page's direction.

Everything here is plain arithmetic on numbers already counted: no database, no request.

The attributes a shape needs come written out (`box`, `at`): a chart draws hundreds of shapes, and
formatting each number through a template filter cost more than the rest of the trends page.
"""

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Column chart (counts per month, stacked).
COLUMN_TOP = 14  # room above the highest tick's label
COLUMN_PLOT = 220  # the height the largest count can take
COLUMN_LABELS = 40  # room below for the month and year under the columns
AXIS = 9.0  # the share of the width, in %, kept beside the columns for the counts of the axis
COLUMN_SHARE = 0.72  # of each month's slot; the rest is the gap between columns
MOST_MONTH_LABELS = 8  # more would run into each other on a phone
MOST_TICKS = 5
# Bar chart (one bar per place, source, severity...), a label above each bar.
BAR_LABEL = 16  # the label's baseline below the top of its row
BAR_TOP = 22  # the bar's top below the top of its row
BAR_HEIGHT = 18
BAR_ROW = 52
BAR_LONGEST = 82.0  # % of the width for the longest bar: its count goes after it
VALUE_GAP = 6  # px between the end of a bar and its count
LABEL_LENGTH = 44  # characters that fit on a 360 px phone at the label's size
# Stacked series: few of them, each with its own colour (classes chart-fill-0 to chart-fill-5, in
# app.css, Paul Tol's colour-blind-safe colours) and its own pattern (<pattern> in the chart's
# SVG), so that no two look alike on a phone in the sun or on a page printed in grey. The last
# pair is kept for "Other", the series that gathers the rest.
FILLS: list[tuple[str, str]] = [
    ("chart-fill-0", ""),  # plain: the darkest colour, at the foot of the stack
    ("chart-fill-1", "chart-pattern-stripes"),
    ("chart-fill-2", "chart-pattern-dots"),
    ("chart-fill-3", "chart-pattern-cross"),
    ("chart-fill-4", "chart-pattern-rows"),
    ("chart-fill-5", "chart-pattern-upright"),
]
PALETTE_SIZE = len(FILLS)


@dataclass(frozen=True)
class Series:
    """One thing counted in the stacks: a category, say. Its entry in the key."""

    key: str
    label: str
    index: int  # its place in the palette and in every stack, the same in every column

    @property
    def fill(self) -> str:
        """The class that colours it."""
        return FILLS[self.index % PALETTE_SIZE][0]

    @property
    def pattern(self) -> str:
        """The id of the <pattern> drawn over the colour, or "" for plain colour."""
        return FILLS[self.index % PALETTE_SIZE][1]


@dataclass(frozen=True)
class Segment:
    series: Series
    value: int
    x: float  # %
    width: float  # %
    y: float  # px
    height: float  # px

    @property
    def box(self) -> SafeString:
        return _attributes(
            x=f"{self.x:.2f}%",
            y=f"{self.y:.1f}",
            width=f"{self.width:.2f}%",
            height=f"{self.height:.1f}",
        )


@dataclass(frozen=True)
class Column:
    label: str  # in full, for its title: "March 2026"
    tick: str  # under the column, or "" when there is no room for every month
    year: str  # under the tick, where a year starts (and under the first tick)
    total: int
    x: float  # %
    width: float  # %
    segments: list[Segment]

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 2)

    @property
    def middle_x(self) -> SafeString:
        return _attributes(x=f"{self.middle:.2f}%")

    @property
    def shapes(self) -> SafeString:
        """The column's segments as SVG, each with its title ("March 2026, Surveillance: 4") and
        its pattern drawn over its colour. Written out here: two years of stacks through
        template tags took 17 ms to render, 7.8 ms this way."""
        label = escape(self.label)
        drawn = []
        for segment in self.segments:
            series, box = segment.series, segment.box
            over = (
                f'<rect {box} fill="url(#{series.pattern})" class="chart-patterned"></rect>'
                if series.pattern
                else ""
            )
            drawn.append(
                f"<g><title>{label}, {escape(series.label)}: {segment.value}</title>"
                f'<rect {box} class="chart-segment {series.fill}"></rect>{over}</g>'
            )
        # Safe by construction: numbers, class names and ids fixed in FILLS, escaped text.
        return mark_safe("".join(drawn))  # noqa: S308


@dataclass(frozen=True)
class Tick:
    value: int
    y: float  # px

    @property
    def line_y(self) -> SafeString:
        return _attributes(y1=f"{self.y:.1f}", y2=f"{self.y:.1f}")

    @property
    def at(self) -> SafeString:
        return _attributes(y=f"{self.y:.1f}")


@dataclass(frozen=True)
class ColumnChart:
    height: int
    columns: list[Column]
    ticks: list[Tick]
    legend: list[Series]  # the series that have a count, in stack order
    axis_x: float  # % where the axis counts end, beside the columns
    grid_start: float  # %
    grid_end: float  # %
    baseline: float  # px, the foot of the columns
    tick_y: float  # px, the baseline of the month labels
    year_y: float  # px, the baseline of the year labels

    @property
    def total(self) -> int:
        return sum(column.total for column in self.columns)

    @property
    def grid_x(self) -> SafeString:
        return _attributes(x1=f"{self.grid_start:.2f}%", x2=f"{self.grid_end:.2f}%")

    @property
    def axis_at(self) -> SafeString:
        return _attributes(x=f"{self.axis_x:.2f}%")

    @property
    def tick_at(self) -> SafeString:
        return _attributes(y=f"{self.tick_y:.1f}")

    @property
    def year_at(self) -> SafeString:
        return _attributes(y=f"{self.year_y:.1f}")


@dataclass(frozen=True)
class Bar:
    key: str
    label: str  # as drawn, shortened if need be
    full_label: str
    value: int
    leftover: bool  # "other places", "not known": drawn muted
    x: float  # %
    width: float  # %
    value_x: float  # % where the count is written, pushed VALUE_GAP px further by value_dx
    value_dx: int  # px
    label_x: float  # %
    label_y: float  # px
    bar_y: float  # px

    @property
    def value_y(self) -> float:
        """The middle of the bar, where its count is written."""
        return self.bar_y + BAR_HEIGHT / 2

    @property
    def label_at(self) -> SafeString:
        return _attributes(x=f"{self.label_x:.2f}%", y=f"{self.label_y:.1f}")

    @property
    def box(self) -> SafeString:
        return _attributes(
            x=f"{self.x:.2f}%", y=f"{self.bar_y:.1f}", width=f"{self.width:.2f}%", height=BAR_HEIGHT
        )

    @property
    def value_at(self) -> SafeString:
        return _attributes(x=f"{self.value_x:.2f}%", dx=self.value_dx, y=f"{self.value_y:.1f}")


@dataclass(frozen=True)
class BarChart:
    height: int
    bars: list[Bar]

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def largest(self) -> Bar | None:
        """The longest bar (the first of equals), or None when nothing is counted."""
        return max(self.bars, key=lambda bar: bar.value) if self.total else None


@dataclass(frozen=True)
class Entry:
    """One bar's worth of data: what is counted and how many."""

    key: str
    label: str
    value: int
    leftover: bool = False


def _attributes(**values: str | int) -> SafeString:
    """SVG attributes of numbers: x="12.50%" y="30.0"."""
    # Safe by construction: fixed names and numbers the callers format ("12.50%", 18), never
    # text. format_html_join would escape each number and cost more than the whole chart.
    return mark_safe(" ".join(f'{name}="{value}"' for name, value in values.items()))  # noqa: S308


def nice_ticks(largest: int, most: int = MOST_TICKS) -> list[int]:
    """Round counts for the axis, from 0 to at least `largest`, at most `most` of them."""
    if largest <= 0:
        return [0, 1]
    step = 1
    while math.ceil(largest / step) > most - 1:
        step = _next_step(step)
    return list(range(0, step * math.ceil(largest / step) + 1, step))


def _next_step(step: int) -> int:
    """1, 2, 5, 10, 20, 50, 100..."""
    leading = int(str(step)[0])
    scale = step // leading
    return {1: 2 * scale, 2: 5 * scale, 5: 10 * scale}[leading]


def _mirror(x: float, width: float, rtl: bool) -> float:
    return round(100 - x - width if rtl else x, 2)


def stacked_columns(
    labels: list[tuple[str, str, str]],
    counts: list[dict[str, int]],
    series: list[Series],
    *,
    rtl: bool = False,
) -> ColumnChart:
    """One column per entry of `labels` (in full, short, year), stacked by `series` in their
    order from the foot up. `counts[i]` holds the counts of column i by series key."""
    totals = [sum(column.get(s.key, 0) for s in series) for column in counts]
    ticks = nice_ticks(max(totals, default=0))
    scale = COLUMN_PLOT / ticks[-1]
    baseline = COLUMN_TOP + COLUMN_PLOT
    slot = (100 - AXIS) / len(labels) if labels else 0.0
    width = slot * COLUMN_SHARE
    every = max(1, math.ceil(len(labels) / MOST_MONTH_LABELS))
    columns = []
    for i, ((label, short, year), column_counts) in enumerate(zip(labels, counts, strict=True)):
        x = _mirror(AXIS + i * slot + (slot - width) / 2, width, rtl)
        segments, top = [], float(baseline)
        for s in series:
            value = column_counts.get(s.key, 0)
            if not value:
                continue
            height = value * scale
            top -= height
            segments.append(Segment(s, value, x, round(width, 2), round(top, 1), round(height, 1)))
        labelled = i % every == 0
        # A year under the first labelled month of a year, and under the first column unless
        # the next labelled month already starts a year: two years side by side run together.
        starts_year = i >= every and labels[i - every][2] != year
        next_starts_year = i + every < len(labels) and labels[i + every][2] != year
        new_year = starts_year or (i == 0 and not next_starts_year)
        columns.append(
            Column(
                label=label,
                tick=short if labelled else "",
                year=year if labelled and new_year else "",
                total=totals[i],
                x=x,
                width=round(width, 2),
                segments=segments,
            )
        )
    present = {key for column in counts for key, value in column.items() if value}
    return ColumnChart(
        height=COLUMN_TOP + COLUMN_PLOT + COLUMN_LABELS,
        columns=columns,
        ticks=[Tick(value, round(baseline - value * scale, 1)) for value in ticks],
        legend=[s for s in series if s.key in present],
        axis_x=round(100 - (AXIS - 1.5) if rtl else AXIS - 1.5, 2),
        grid_start=0.0 if rtl else AXIS,
        grid_end=100 - AXIS if rtl else 100.0,
        baseline=float(baseline),
        tick_y=float(baseline + 17),
        year_y=float(baseline + 34),
    )


def _short(label: str) -> str:
    return label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1].rstrip() + "…"


def horizontal_bars(entries: list[Entry], *, rtl: bool = False) -> BarChart:
    """One bar per entry, in the order given, each under its label and followed by its count."""
    largest = max((entry.value for entry in entries), default=0)
    bars = []
    for i, entry in enumerate(entries):
        top = i * BAR_ROW
        width = round(BAR_LONGEST * entry.value / largest, 2) if largest else 0.0
        x = _mirror(0, width, rtl)
        bars.append(
            Bar(
                key=entry.key,
                label=_short(entry.label),
                full_label=entry.label,
                value=entry.value,
                leftover=entry.leftover,
                x=x,
                width=width,
                value_x=x if rtl else width,
                value_dx=-VALUE_GAP if rtl else VALUE_GAP,
                label_x=100.0 if rtl else 0.0,
                label_y=float(top + BAR_LABEL),
                bar_y=float(top + BAR_TOP),
            )
        )
    return BarChart(
        height=max(1, len(entries)) * BAR_ROW - (BAR_ROW - BAR_TOP - BAR_HEIGHT) + 2, bars=bars
    )
