"""The 5x5 heat map (riskassessment.heatmap): how many threats fall in each square, before and
after the measures, and where each square is drawn, left to right or mirrored right to left."""

from collections.abc import Iterator

import pytest
from django.utils import translation

from riskassessment import heatmap
from riskassessment.heatmap import AXIS, CELL, SIZE, Cell, HeatMap, heat_map
from riskassessment.models import Threat
from riskassessment.scoring import Level
from tests.factories import RiskThreatFactory


def threat(likelihood: int, impact: int, **residual: int | None) -> Threat:
    """A threat that is never saved: the map is plain arithmetic."""
    return RiskThreatFactory.build(likelihood=likelihood, impact=impact, **residual)


def counts(heat: HeatMap) -> dict[tuple[int, int], int]:
    """The squares that hold at least one threat, by (likelihood, impact)."""
    return {(c.likelihood, c.impact): c.count for c in heat.cells if c.count}


def cell(heat: HeatMap, likelihood: int, impact: int) -> Cell:
    return next(c for c in heat.cells if (c.likelihood, c.impact) == (likelihood, impact))


def test_it_counts_the_threats_in_each_square() -> None:
    threats = [threat(3, 4), threat(3, 4), threat(5, 5), threat(1, 2)]

    heat = heat_map(threats, residual=False)

    assert counts(heat) == {(3, 4): 2, (5, 5): 1, (1, 2): 1}
    assert heat.total == 4
    assert len(heat.cells) == 25


def test_an_empty_assessment_draws_an_empty_grid() -> None:
    heat = heat_map([], residual=False)

    assert (counts(heat), heat.total, len(heat.cells)) == ({}, 0, 25)


def test_after_the_measures_a_threat_moves_to_its_residual_ratings() -> None:
    threats = [
        threat(5, 5, residual_likelihood=2, residual_impact=4),
        threat(3, 4),  # nobody re-rated it: it stays where it was
        threat(4, 4, residual_likelihood=1, residual_impact=None),  # half re-rated: stays too
    ]

    before = heat_map(threats, residual=False)
    after = heat_map(threats, residual=True)

    assert counts(before) == {(5, 5): 1, (3, 4): 1, (4, 4): 1}
    assert counts(after) == {(2, 4): 1, (3, 4): 1, (4, 4): 1}
    assert (before.residual, after.residual) == (False, True)
    assert after.total == 3


def test_each_square_carries_its_score_and_band() -> None:
    heat = heat_map([], residual=False)

    assert (cell(heat, 2, 2).score, cell(heat, 2, 2).level) == (4, Level.LOW)
    assert (cell(heat, 1, 5).score, cell(heat, 1, 5).fill) == (5, "heat-moderate")
    assert (cell(heat, 2, 5).level, cell(heat, 4, 4).fill) == (Level.HIGH, "heat-high")
    assert cell(heat, 4, 5).fill == "heat-critical"


def test_likelihood_runs_left_to_right_and_impact_up() -> None:
    heat = heat_map([], residual=False)

    assert (cell(heat, 1, 1).x, cell(heat, 1, 1).y) == (AXIS, 4 * CELL)  # bottom, after the axis
    assert (cell(heat, 5, 5).x, cell(heat, 5, 5).y) == (AXIS + 4 * CELL, 0)  # top right
    assert [rating for rating, _x, _y in heat.likelihood_ticks] == [1, 2, 3, 4, 5]
    assert heat.impact_ticks[0][1] == AXIS // 2  # the impact ratings sit on the left


def test_right_to_left_mirrors_the_columns_and_keeps_the_rows() -> None:
    ltr = heat_map([threat(1, 3)], residual=False)
    rtl = heat_map([threat(1, 3)], residual=False, rtl=True)

    assert rtl.rtl
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            left, right = cell(ltr, likelihood, impact), cell(rtl, likelihood, impact)
            # The square's left edge mirrored is the mirrored square's right edge.
            assert right.x == SIZE - left.x - CELL
            assert right.y == left.y
    assert (cell(rtl, 5, 5).x, cell(rtl, 1, 1).x) == (0, 4 * CELL)
    assert counts(rtl) == counts(ltr) == {(1, 3): 1}


def test_right_to_left_mirrors_the_axis_labels() -> None:
    ltr = heat_map([], residual=False)
    rtl = heat_map([], residual=False, rtl=True)

    assert [x for _r, x, _y in rtl.likelihood_ticks] == [
        SIZE - x for _r, x, _y in ltr.likelihood_ticks
    ]
    assert [x for _r, x, _y in rtl.impact_ticks] == [SIZE - x for _r, x, _y in ltr.impact_ticks]
    assert [y for _r, _x, y in rtl.impact_ticks] == [y for _r, _x, y in ltr.impact_ticks]


def test_the_squares_and_ratings_are_written_as_svg() -> None:
    heat = heat_map([threat(3, 4), threat(3, 4)], residual=False)

    shapes = str(heat.shapes)

    assert shapes.count('<g class="heat-cell ') == 25
    assert shapes.count('class="heat-tick"') == 10
    # Only the square that holds threats has a count, at its centre.
    square = cell(heat, 3, 4)
    x, y = square.middle
    assert shapes.count('class="heat-dot"') == 1
    assert (
        f'<text x="{x}" y="{y}" dy="5" text-anchor="middle" class="heat-count">2</text>' in shapes
    )
    assert f"<title>{square.title}</title>" in shapes
    assert f'<g class="heat-cell {square.fill}">' in shapes


@pytest.fixture
def squares_drawn_anew() -> Iterator[None]:
    """No square kept from an earlier test (heatmap._cell_svg), nor one of this test's kept
    for the next."""
    heatmap._cell_svg.cache_clear()
    yield
    heatmap._cell_svg.cache_clear()


@pytest.mark.usefixtures("squares_drawn_anew")
def test_a_square_s_title_is_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    # A translation may hold anything: it is text, never markup.
    monkeypatch.setattr(
        "riskassessment.heatmap.ngettext", lambda one, many, n: "<b>%(l)s & %(i)s</b>"
    )

    shapes = str(heat_map([], residual=False).shapes)

    assert "<title>&lt;b&gt;1 &amp; 1&lt;/b&gt;</title>" in shapes
    assert "<b>" not in shapes


@pytest.mark.usefixtures("squares_drawn_anew")
def test_a_square_drawn_before_is_drawn_again_in_the_language_of_the_page() -> None:
    threats = [threat(3, 4)]
    english = str(heat_map(threats, residual=False).shapes)

    with translation.override("es"):
        spanish = str(heat_map(threats, residual=False).shapes)

    assert "Likelihood 3, impact 4 (score 12, High): 1 threat" in english
    assert "Probabilidad 3, impacto 4" in spanish
    assert "Likelihood" not in spanish
    assert str(heat_map(threats, residual=False).shapes) == english
