"""The 5x5 heat map of likelihood x impact: where each threat falls, as geometry for an SVG drawn
on the server (see templates/riskassessment/_heat_map.html). Plain arithmetic, no database.

The squares and the axis labels come written out as SVG (`HeatMap.shapes`): two maps of 25
squares through template tags cost 6.5 ms of the situation page's 40 ms of CPU.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext

from riskassessment.models import Threat
from riskassessment.scoring import RATINGS, Level, threat_level

CELL = 48  # px in the SVG's own units; the picture scales to the page's width
AXIS = 36  # room at the start and at the bottom for the ratings
SIZE = AXIS + CELL * len(RATINGS)


@dataclass(frozen=True)
class Cell:
    likelihood: int
    impact: int
    count: int
    x: int
    y: int

    @property
    def level(self) -> Level:
        return threat_level(self.likelihood, self.impact)

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def title(self) -> str:
        """What the square says to a screen reader and on hover. Written here, not in the
        template: fifty squares a page each rendering a plural translation tag cost more than
        the rest of the page's assessment."""
        return ngettext(
            "Likelihood %(l)s, impact %(i)s (score %(s)s, %(level)s): %(n)s threat",
            "Likelihood %(l)s, impact %(i)s (score %(s)s, %(level)s): %(n)s threats",
            self.count,
        ) % {
            "l": self.likelihood,
            "i": self.impact,
            "s": self.score,
            "level": self.level.label,
            "n": self.count,
        }

    @property
    def middle(self) -> tuple[int, int]:
        """Where the count's circle goes: the square's centre."""
        return self.x + CELL // 2, self.y + CELL // 2

    @property
    def fill(self) -> str:
        """A class of app.css: the band's colour, with a pattern for critical, so the bands
        tell apart in grey print and for people who do not see red and green."""
        return f"heat-{self.level.name.lower()}"

    @property
    def svg(self) -> str:
        """The square, with its count in a circle when it holds any threat."""
        return _cell_svg(self, get_language())

    def drawn(self) -> str:
        """The square's SVG, made anew: numbers and a class name made here; the title is
        escaped."""
        shapes = f'<rect x="{self.x}" y="{self.y}" width="{CELL}" height="{CELL}"></rect>'
        if self.count:
            x, y = self.middle
            shapes += (
                f'<circle cx="{x}" cy="{y}" r="15" class="heat-dot"></circle>'
                f'<text x="{x}" y="{y}" dy="5" text-anchor="middle" class="heat-count">'
                f"{self.count}</text>"
            )
        return f'<g class="heat-cell {self.fill}"><title>{escape(self.title)}</title>{shapes}</g>'


@dataclass(frozen=True)
class HeatMap:
    cells: list[Cell]
    total: int
    residual: bool
    rtl: bool = False
    size: int = SIZE

    @property
    def impact_ticks(self) -> list[tuple[int, int, int]]:
        """Each impact rating with where its label goes, beside its row (x, baseline y)."""
        x = SIZE - AXIS // 2 if self.rtl else AXIS // 2
        return [(rating, x, (len(RATINGS) - rating) * CELL + CELL // 2 + 5) for rating in RATINGS]

    @property
    def likelihood_ticks(self) -> list[tuple[int, int, int]]:
        """Each likelihood rating with where its label goes, under its column."""
        y = len(RATINGS) * CELL + AXIS // 2 + 5
        return [(rating, _column_x(rating, self.rtl) + CELL // 2, y) for rating in RATINGS]

    @property
    def shapes(self) -> SafeString:
        """Every square, then the ratings along both axes, as SVG."""
        ticks = [
            f'<text x="{x}" y="{y}" text-anchor="middle" class="heat-tick">{rating}</text>'
            for rating, x, y in (*self.impact_ticks, *self.likelihood_ticks)
        ]
        # Safe by construction: numbers, class names and escaped titles (Cell.drawn).
        return mark_safe("\n".join([*(cell.svg for cell in self.cells), *ticks]))  # noqa: S308


@lru_cache(maxsize=4096)
def _cell_svg(cell: Cell, language: str | None) -> str:
    """Cell.drawn, once per process for each square, count and language: a situation's page
    draws two maps of 25 squares, the same few hundred squares on every page, which took 0.9 ms
    a page drawn anew and 0.2 ms kept. A square holds ratings and a count, nothing of anyone's."""
    return cell.drawn()


def _column_x(likelihood: int, rtl: bool) -> int:
    """Likelihood runs along the line: left to right, or right to left, mirrored."""
    column = len(RATINGS) - likelihood if rtl else likelihood - 1
    return (0 if rtl else AXIS) + column * CELL


def heat_map(threats: Sequence[Threat], *, residual: bool, rtl: bool = False) -> HeatMap:
    """Count threats per likelihood and impact. Likelihood runs across, impact up, so the worst
    corner is at the top, at the end of the line (mirrored right to left)."""
    counts: Counter[tuple[int, int]] = Counter()
    for threat in threats:
        if residual and threat.residual_is_rated:
            counts[(threat.residual_likelihood, threat.residual_impact)] += 1  # type: ignore[index]
        else:
            counts[(threat.likelihood, threat.impact)] += 1
    cells = []
    for likelihood in RATINGS:
        for impact in RATINGS:
            y = (len(RATINGS) - impact) * CELL
            x = _column_x(likelihood, rtl)
            cells.append(Cell(likelihood, impact, counts[(likelihood, impact)], x, y))
    return HeatMap(cells=cells, total=sum(counts.values()), residual=residual, rtl=rtl)
