"""The actor map's geometry: where each actor and relation goes on a server-rendered SVG.

Actors sit in a column by stance (adversary to ally, with "unknown" set apart) and a row by power,
5 at the top; several actors in one cell share it in a small grid. Marks grow with power and are
coloured by a family of sectors (eight colours tell apart better than eighteen). Everything here
is plain arithmetic on actors already loaded: the map costs no query of its own.

The drawing scales to fit its box (it has a viewBox); on a phone the page shows the same actors
first as a list grouped by stance and power (`ActorMap.groups`), where names are read in full.

A cell shows at most `PER_CELL` actors, however many there are: a thousand marks in twenty cells
say nothing a count does not, and each name drawn is decrypted. The cell's other actors are a
count ("+N more") that opens the actor list at that stance and power (`Cell`). So the map of a
large organization is still a picture, and costs the same whatever the number of actors.
"""

import math
import textwrap
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from allies.models import Actor, Relation, RelationKind, Sector, Stance

COLUMN_WIDTH = 230  # drawn at about 1:1 on a desk; a narrower screen shrinks the whole drawing
HEIGHT = 760
AXIS = 90  # room beside the rows for the power labels
TOP = 48  # room above for the column headings
BOTTOM = 16
GAP = 24  # between "unknown" and the adversary-to-ally range
# Each column's share of COLUMN_WIDTH: few actors stay "unknown" for long.
COLUMNS = {Stance.UNKNOWN: 0.6, Stance.ADVERSARY: 1.0, Stance.NEUTRAL: 1.0, Stance.ALLY: 1.0}
POWER_LEVELS = [5, 4, 3, 2, 1]
LABEL_LENGTH = 16  # characters on one line of a name under its mark
LABEL_LINES = 2  # a longer name ends in "…"; its mark's title holds it in full
LABEL_LINE_HEIGHT = 14
LABEL_WIDTH = 110  # what a name of LABEL_LENGTH takes at the label's font size
# The order of the list: the map's columns from adversary to ally, and "unknown" after them.
LIST_ORDER = [Stance.ADVERSARY, Stance.NEUTRAL, Stance.ALLY, Stance.UNKNOWN]
# More actors than this in one cell and their names no longer fit: the mark keeps its title.
LABELLED_UP_TO = 4
LABELLED_LINES = 2  # lines of named marks one cell holds
# The most actors one cell draws and the list names under one stance and power; more are counted.
PER_CELL = 9
MORE_HEIGHT = 18  # room at the foot of a cell for its "+N more" link

SECTOR_FAMILIES: dict[str, Promise] = {
    "state": _("State and authorities"),
    "justice": _("Police and justice"),
    "international": _("International"),
    "civil": _("Civil society"),
    "services": _("Services"),
    "private": _("Business and media"),
    "community": _("Community and family"),
    "criminal": _("Criminal networks"),
    "other": _("Other"),
}
FAMILY_OF_SECTOR: dict[str, str] = {
    Sector.GOVERNMENT: "state",
    Sector.PORT_TRANSPORT: "state",
    Sector.POLICE: "justice",
    Sector.JUDICIARY: "justice",
    Sector.EMBASSY: "international",
    Sector.INTERNATIONAL: "international",
    Sector.NGO: "civil",
    Sector.SURVIVOR_NETWORK: "civil",
    Sector.ACADEMIC: "civil",
    Sector.HEALTH: "services",
    Sector.LEGAL: "services",
    Sector.SHELTER: "services",
    Sector.BUSINESS: "private",
    Sector.MEDIA: "private",
    Sector.COMMUNITY_LEADER: "community",
    Sector.FAMILY: "community",
    Sector.CRIMINAL_NETWORK: "criminal",
    Sector.OTHER: "other",
}


@dataclass(frozen=True)
class Column:
    stance: Stance
    start: float
    end: float

    @property
    def middle(self) -> float:
        return (self.start + self.end) / 2

    @property
    def width(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Row:
    power: int
    top: float
    bottom: float

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Mark:
    actor: Actor
    x: float
    y: float
    radius: float
    family: str
    label: list[str]  # the name on one or two lines; empty when the cell is too crowded

    @property
    def label_rows(self) -> list[tuple[str, float]]:
        """Each line of the label and the baseline it is written on, under the mark."""
        top = self.y + self.radius + 12
        return [(line, top + i * LABEL_LINE_HEIGHT) for i, line in enumerate(self.label)]


@dataclass(frozen=True)
class Cell:
    """A stance and a level of power with more actors than are drawn: the rest as a count, with
    the address of the actor list that shows them all (closed-list values and a place's random
    code: nothing sensitive)."""

    stance: str
    power: int
    total: int
    shown: int
    query: str  # for the actor list: this stance and power, and the map's filters
    x: float = 0.0  # where the count is written, at the foot of the cell
    y: float = 0.0

    @property
    def more(self) -> int:
        return self.total - self.shown


@dataclass(frozen=True)
class Level:
    """One level of power in the list: the actors named, and the cell when some are not."""

    power: int
    actors: list[Actor]
    cell: Cell | None


@dataclass(frozen=True)
class Group:
    """The actors of one stance in the list, strongest first."""

    stance: Stance
    powers: list[tuple[int, list[Actor]]]  # only the levels of power that have actors
    # Levels of power with more actors than are named, by power.
    cells: dict[int, Cell] = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many actors of this stance there are, named or not."""
        return sum(
            cell.total if (cell := self.cells.get(power)) else len(actors)
            for power, actors in self.powers
        )

    @property
    def levels(self) -> list[Level]:
        return [Level(power, actors, self.cells.get(power)) for power, actors in self.powers]


@dataclass(frozen=True)
class Line:
    relation: Relation
    source: Actor
    target: Actor
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class ActorMap:
    width: int
    height: int
    columns: list[Column]
    rows: list[Row]
    marks: list[Mark]
    lines: list[Line]
    families: list[tuple[str, Promise]]  # those on the map, for the legend
    axis_x: float  # the middle of the power labels' strip
    cells: list[Cell] = field(default_factory=list)  # those with more actors than drawn

    @property
    def total(self) -> int:
        """How many actors the map stands for, drawn or counted."""
        return len(self.marks) + sum(cell.more for cell in self.cells)

    @property
    def grid_start(self) -> float:
        return min(column.start for column in self.columns)

    @property
    def grid_end(self) -> float:
        return max(column.end for column in self.columns)

    @property
    def grid_height(self) -> float:
        return self.rows[-1].bottom - self.rows[0].top

    @property
    def groups(self) -> list[Group]:
        """The actors as the list shows them: by stance, then by power from 5 down to 1, then by
        name. Names already read for the marks are not decrypted again."""
        cells: dict[tuple[str, int], list[Actor]] = defaultdict(list)
        for mark in self.marks:
            cells[(mark.actor.stance, mark.actor.power)].append(mark.actor)
        more = {(cell.stance, cell.power): cell for cell in self.cells}
        groups = []
        for stance in LIST_ORDER:
            powers = [
                (power, sorted(cells[(stance, power)], key=lambda a: a.name.casefold()))
                for power in POWER_LEVELS
                if cells.get((stance, power))
            ]
            if powers:
                counted = {
                    power: more[(stance, power)] for power, _a in powers if (stance, power) in more
                }
                groups.append(Group(stance, powers, counted))
        return groups

    @property
    def relation_kinds(self) -> list[RelationKind]:
        """The kinds of relation drawn, in the order of the key."""
        drawn = {line.relation.kind for line in self.lines}
        return [kind for kind in RelationKind if kind in drawn]


def _columns(stances: list[Stance], rtl: bool) -> tuple[list[Column], int]:
    """The columns of `stances`, in map order, and the map's width."""
    columns = []
    start = float(AXIS)
    for stance, share in COLUMNS.items():
        if stance not in stances:
            continue
        end = start + COLUMN_WIDTH * share
        columns.append(Column(stance, start, end))
        start = end + (GAP if stance == Stance.UNKNOWN else 0)
    width = math.ceil(columns[-1].end)
    if rtl:
        # Right to left, the map reads from the other side: the axis on the right.
        columns = [Column(c.stance, width - c.end, width - c.start) for c in columns]
    return columns, width


def _rows() -> list[Row]:
    height = (HEIGHT - TOP - BOTTOM) / len(POWER_LEVELS)
    return [
        Row(power, TOP + i * height, TOP + (i + 1) * height) for i, power in enumerate(POWER_LEVELS)
    ]


def label_lines(name: str) -> list[str]:
    """The name on at most LABEL_LINES lines of LABEL_LENGTH characters, broken between words;
    if it is longer still, the last line ends in "…"."""
    lines = textwrap.wrap(name, LABEL_LENGTH) or [""]
    if len(lines) <= LABEL_LINES:
        return lines
    last = lines[LABEL_LINES - 1][: LABEL_LENGTH - 1].rstrip()
    return [*lines[: LABEL_LINES - 1], last + "…"]


def _place_cell(
    actors: list[Actor], column: Column, row: Row, *, counted: bool = False
) -> list[Mark]:
    """Spread the actors of one cell over a grid that keeps the cell's proportions, above the
    "+N more" link when the cell has one (`counted`)."""
    width, height = column.width, row.bottom - row.top - (MORE_HEIGHT if counted else 0)
    # Side by side only as far as the names fit, then another line; a row of the map has room
    # for two lines of named marks, so a narrow column names fewer.
    across = min(len(actors), max(1, int(width // LABEL_WIDTH)))
    labelled = len(actors) <= min(LABELLED_UP_TO, LABELLED_LINES * across)
    if not labelled:
        across = max(1, math.ceil(math.sqrt(len(actors) * width / height)))
    down = math.ceil(len(actors) / across)
    step_x, step_y = width / across, height / down
    labels = [label_lines(actor.name) if labelled else [] for actor in actors]
    # Labelled marks sit a little high in their slot, leaving the name room below.
    lift = 8 + LABEL_LINE_HEIGHT / 2 * (max(map(len, labels)) - 1) if labelled else 0
    marks = []
    for i, actor in enumerate(actors):
        radius = min(5 + 3 * actor.power, 0.35 * min(step_x, step_y))
        marks.append(
            Mark(
                actor=actor,
                x=column.start + (i % across + 0.5) * step_x,
                # Never above the top of its row, however high the label pushes it.
                y=max(row.top + (i // across + 0.5) * step_y - lift, row.top + radius + 2),
                radius=radius,
                family=FAMILY_OF_SECTOR.get(actor.sector, "other"),
                label=labels[i],
            )
        )
    return marks


def _line(relation: Relation, marks: dict[uuid.UUID, Mark]) -> Line:
    start, end = marks[relation.source_id], marks[relation.target_id]
    x1, y1, x2, y2 = start.x, start.y, end.x, end.y
    if relation.is_directed:
        # Stop at the edge of the target, so the arrowhead is not hidden under its mark.
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        shorten = end.radius + 3
        x2, y2 = x2 - (x2 - x1) * shorten / length, y2 - (y2 - y1) * shorten / length
    return Line(
        relation, start.actor, end.actor, round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1)
    )


def _cell_link(stance: str, power: int, filters: dict[str, str]) -> str:
    return urlencode({"stance": stance, "power": power, **filters})


def actor_map(
    actors: list[Actor],
    relations: list[Relation],
    *,
    stances: list[Stance] | None = None,
    rtl: bool = False,
    totals: dict[tuple[str, int], int] | None = None,
    filters: dict[str, str] | None = None,
) -> ActorMap:
    """Lay out `actors` (names are read, so each is decrypted once) and the relations between
    them, in columns for `stances` (all four unless the user may see only some).

    `totals` counts the actors of each cell (stance, power) when `actors` holds only some of
    them: a cell with more gets a "+N more" link to the actor list at its stance and power,
    with the map's `filters`.
    """
    columns, width = _columns(stances or list(COLUMNS), rtl)
    rows = _rows()
    column_of = {column.stance: column for column in columns}
    row_of = {row.power: row for row in rows}
    cells: dict[tuple[str, int], list[Actor]] = defaultdict(list)
    for actor in sorted(actors, key=lambda a: a.name.casefold()):
        cells[(actor.stance, actor.power)].append(actor)
    more = [
        _counted_cell(
            stance,
            power,
            total,
            len(cells[(stance, power)]),
            filters or {},
            column_of[Stance(stance)],
            row_of[power],
        )
        for (stance, power), total in sorted((totals or {}).items())
        if total > len(cells.get((stance, power), [])) and Stance(stance) in column_of
    ]
    counted = {(cell.stance, cell.power) for cell in more}
    marks = [
        mark
        for (stance, power), members in cells.items()
        for mark in _place_cell(
            members,
            column_of[Stance(stance)],
            row_of[power],
            counted=(stance, power) in counted,
        )
    ]
    by_actor = {mark.actor.pk: mark for mark in marks}
    lines = [
        _line(relation, by_actor)
        for relation in relations
        if relation.source_id in by_actor and relation.target_id in by_actor
    ]
    present = {mark.family for mark in marks}
    families = [(key, label) for key, label in SECTOR_FAMILIES.items() if key in present]
    axis_x = width - AXIS / 2 if rtl else AXIS / 2
    return ActorMap(width, HEIGHT, columns, rows, marks, lines, families, axis_x, more)


def _counted_cell(
    stance: str,
    power: int,
    total: int,
    shown: int,
    filters: dict[str, str],
    column: Column,
    row: Row,
) -> Cell:
    return Cell(
        stance,
        power,
        total,
        shown,
        _cell_link(stance, power, filters),
        x=column.middle,
        y=row.bottom - MORE_HEIGHT / 2 + 4,  # the baseline, a little under the middle
    )
