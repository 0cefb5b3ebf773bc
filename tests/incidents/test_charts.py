"""The trends charts' geometry, on plain numbers: no database needed."""

import re
from datetime import date

import pytest

from incidents.charts import (
    AXIS,
    BAR_LONGEST,
    COLUMN_PLOT,
    PALETTE_SIZE,
    Entry,
    Series,
    horizontal_bars,
    nice_ticks,
    stacked_columns,
)
from incidents.trends import (
    OTHER,
    TOP_CATEGORIES,
    Month,
    category_series,
    chart_series,
    month_chart,
)

SERIES = [Series("surveillance", "Surveillance", 0), Series("digital", "Digital", 1)]


def months(count: int) -> list[tuple[str, str, str]]:
    """Labels of `count` months from January 2025: in full, short, year."""
    names = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    return [
        (f"{names[i % 12]} {2025 + i // 12}", names[i % 12], str(2025 + i // 12))
        for i in range(count)
    ]


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 5, 10]),
        (37, [0, 10, 20, 30, 40]),
        (1000, [0, 500, 1000]),
    ],
)
def test_the_axis_counts_in_round_steps_up_to_the_largest_count(
    largest: int, ticks: list[int]
) -> None:
    assert nice_ticks(largest) == ticks


def test_segments_stack_from_the_foot_in_series_order_with_heights_to_scale() -> None:
    chart = stacked_columns(months(2), [{"surveillance": 2, "digital": 2}, {"digital": 1}], SERIES)

    first, second = chart.columns
    assert [s.series.key for s in first.segments] == ["surveillance", "digital"]
    surveillance, digital = first.segments
    assert surveillance.y + surveillance.height == chart.baseline
    assert digital.y + digital.height == pytest.approx(surveillance.y)
    # The tallest column reaches the top tick, 4; one incident is a quarter of the plot.
    assert chart.ticks[-1].value == 4
    assert second.segments[0].height == pytest.approx(COLUMN_PLOT / 4)
    assert [first.total, second.total] == [4, 1]


def test_months_without_incidents_keep_their_column_empty() -> None:
    chart = stacked_columns(months(3), [{"digital": 1}, {}, {"digital": 2}], SERIES)

    assert [len(c.segments) for c in chart.columns] == [1, 0, 1]
    assert [c.total for c in chart.columns] == [1, 0, 2]


def test_columns_share_the_width_beside_the_axis_in_time_order() -> None:
    chart = stacked_columns(months(24), [{}] * 24, SERIES)

    xs = [c.x for c in chart.columns]
    assert xs == sorted(xs)
    assert xs[0] >= AXIS and chart.columns[-1].x + chart.columns[-1].width <= 100


def test_right_to_left_the_months_run_from_the_right_and_the_axis_is_on_the_right() -> None:
    ltr = stacked_columns(months(6), [{"digital": 1}] * 6, SERIES)
    rtl = stacked_columns(months(6), [{"digital": 1}] * 6, SERIES, rtl=True)

    for left, right in zip(ltr.columns, rtl.columns, strict=True):
        assert right.x == pytest.approx(100 - left.x - left.width)
        assert right.segments[0].x == right.x
    assert [c.x for c in rtl.columns] == sorted((c.x for c in rtl.columns), reverse=True)
    assert ltr.axis_x < 50 < rtl.axis_x
    assert rtl.grid_start == 0 and rtl.grid_end == 100 - AXIS


def test_on_a_phone_only_some_months_are_named_and_each_year_once() -> None:
    chart = stacked_columns(months(24), [{}] * 24, SERIES)

    named = [c.tick for c in chart.columns if c.tick]
    assert named == ["Jan", "Apr", "Jul", "Oct"] * 2
    assert [c.year for c in chart.columns if c.year] == ["2025", "2026"]
    assert [c.label for c in chart.columns][:2] == ["Jan 2025", "Feb 2025"]


def test_the_first_year_is_left_out_when_the_next_label_starts_a_year() -> None:
    # December 2024, then every third month: "2024" and "2025" would sit side by side.
    labels = [("Dec 2024", "Dec", "2024"), *months(23)]

    chart = stacked_columns(labels, [{}] * 24, SERIES)

    assert [(c.tick, c.year) for c in chart.columns if c.year] == [("Mar", "2025"), ("Mar", "2026")]


def test_a_short_period_names_every_month() -> None:
    chart = stacked_columns(months(6), [{}] * 6, SERIES)

    assert [c.tick for c in chart.columns] == ["Jan", "Feb", "Mar", "Apr", "May", "Jun"]
    assert [c.year for c in chart.columns] == ["2025", "", "", "", "", ""]


def test_the_key_lists_only_the_series_counted() -> None:
    chart = stacked_columns(months(2), [{"digital": 1}, {"surveillance": 0}], SERIES)

    assert [s.key for s in chart.legend] == ["digital"]


def twelve_categories() -> list[Month]:
    """Two months with every category and the uncategorised, each counted a different number of
    times: the key at index i has i + 1 incidents."""
    counts = {series.key: series.index + 1 for series in category_series()}
    return [Month(date(2026, 1, 1), counts), Month(date(2026, 2, 1), {})]


def test_twelve_categories_are_drawn_as_the_five_largest_and_other() -> None:
    series = chart_series(twelve_categories())

    assert len(series) <= TOP_CATEGORIES + 1
    # The largest first; the category "Other" always goes with the rest.
    assert [s.key for s in series] == [
        "",
        "internal_conflict",
        "recruitment",
        "former_exploiters",
        "defamation",
        OTHER,
    ]


def test_every_series_drawn_has_its_own_colour_and_its_own_pattern() -> None:
    series = chart_series(twelve_categories())

    assert len({s.fill for s in series}) == len(series)
    assert len({s.pattern for s in series}) == len(series)
    assert len(series) <= PALETTE_SIZE


def test_few_categories_need_no_other() -> None:
    series = chart_series([Month(date(2026, 1, 1), {"digital": 2, "surveillance": 3})])

    assert [s.key for s in series] == ["surveillance", "digital"]


def test_the_chart_counts_the_rest_under_other_and_adds_up_to_each_month() -> None:
    months = twelve_categories()

    chart = month_chart(months, rtl=False)

    january = chart.columns[0]
    assert january.total == months[0].total == sum(range(1, 13))
    other = next(s for s in january.segments if s.series.key == OTHER)
    # All but the five drawn alone: the uncategorised (12) and the four largest after "other" (11).
    assert other.value == sum(range(1, 13)) - (12 + 10 + 9 + 8 + 7)


def test_the_longest_bar_takes_the_most_width_and_others_scale_to_it() -> None:
    chart = horizontal_bars([Entry("a", "Harbour office", 8), Entry("b", "Outreach van", 2)])

    longest, shorter = chart.bars
    assert longest.width == BAR_LONGEST
    assert shorter.width == pytest.approx(BAR_LONGEST / 4)
    assert longest.x == shorter.x == 0
    assert longest.value_x == longest.width and longest.value_dx > 0
    assert chart.largest is longest and chart.total == 10


def test_bars_sit_under_their_labels_one_row_each() -> None:
    chart = horizontal_bars([Entry("a", "A", 1), Entry("b", "B", 1), Entry("c", "C", 0)])

    for bar in chart.bars:
        assert bar.label_y < bar.bar_y < bar.value_y
    tops = [bar.bar_y for bar in chart.bars]
    assert tops == sorted(tops) and len(set(tops)) == 3
    assert chart.height > tops[-1]
    assert chart.bars[2].width == 0


def test_right_to_left_bars_grow_from_the_right_with_the_count_to_their_left() -> None:
    chart = horizontal_bars([Entry("a", "A", 4), Entry("b", "B", 1)], rtl=True)

    for bar in chart.bars:
        assert bar.x + bar.width == pytest.approx(100)
        assert bar.value_x == bar.x and bar.value_dx < 0
        assert bar.label_x == 100


def test_long_labels_are_shortened_with_the_full_one_kept() -> None:
    name = "The very long name of a drop-in centre on the far side of the river"

    bar = horizontal_bars([Entry("a", name, 1)]).bars[0]

    assert bar.label.endswith("…") and len(bar.label) <= 44
    assert bar.full_label == name


def test_nothing_counted_draws_no_bar_and_no_largest() -> None:
    chart = horizontal_bars([Entry("a", "A", 0), Entry("b", "B", 0)])

    assert chart.total == 0 and chart.largest is None
    assert all(bar.width == 0 for bar in chart.bars)


def test_shapes_write_their_attributes_as_numbers_only() -> None:
    """The attributes are put in the page unescaped (charts._attributes): numbers, formatted."""
    chart = horizontal_bars([Entry("a", "<b>Harbour</b> & co", 8), Entry("b", "Van", 2)])
    columns = stacked_columns(months(2), [{"surveillance": 3}, {"digital": 1}], SERIES)

    longest = chart.bars[0]
    assert longest.box == f'x="0.00%" y="{longest.bar_y:.1f}" width="82.00%" height="18"'
    assert longest.label_at == f'x="{longest.label_x:.2f}%" y="{longest.label_y:.1f}"'
    segment = columns.columns[0].segments[0]
    assert segment.box == (
        f'x="{segment.x:.2f}%" y="{segment.y:.1f}" '
        f'width="{segment.width:.2f}%" height="{segment.height:.1f}"'
    )
    assert columns.ticks[0].line_y == f'y1="{columns.ticks[0].y:.1f}" y2="{columns.ticks[0].y:.1f}"'
    written = [longest.box, longest.label_at, longest.value_at, segment.box, columns.grid_x]
    assert all(re.fullmatch(r'( ?[a-z0-9]+="-?[0-9.]+%?")+', text) for text in written)


def test_a_column_writes_its_segments_with_titles_escaped_and_patterns_over_colours() -> None:
    series = [Series("a", "<b>Threats</b> & co", 0), Series("b", "Digital", 1)]
    chart = stacked_columns([("May <2025>", "May", "2025")], [{"a": 3, "b": 1}], series)

    column = chart.columns[0]
    plain, patterned = column.segments
    shapes = str(column.shapes)

    assert shapes == (
        "<g><title>May &lt;2025&gt;, &lt;b&gt;Threats&lt;/b&gt; &amp; co: 3</title>"
        f'<rect {plain.box} class="chart-segment chart-fill-0"></rect></g>'
        "<g><title>May &lt;2025&gt;, Digital: 1</title>"
        f'<rect {patterned.box} class="chart-segment chart-fill-1"></rect>'
        f'<rect {patterned.box} fill="url(#chart-pattern-stripes)" class="chart-patterned"></rect>'
        "</g>"
    )
