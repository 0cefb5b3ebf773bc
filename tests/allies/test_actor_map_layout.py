"""The map's geometry, on actors that are never saved: no database needed."""

import math

from allies.actor_map import LABEL_LENGTH, LABELLED_UP_TO, actor_map
from allies.models import Actor, Relation


def actor(
    name: str = "Harbour Shelter", stance: str = "ally", power: int = 3, **more: object
) -> Actor:
    return Actor(
        name=name, stance=stance, power=power, sector=more.pop("sector", "shelter"), **more
    )


def relation(source: Actor, kind: str, target: Actor) -> Relation:
    return Relation(source=source, kind=kind, target=target)


def test_each_actor_sits_in_its_stance_column_and_power_row() -> None:
    strong_ally, weak_adversary = actor(power=5), actor(stance="adversary", power=1)

    layout = actor_map([strong_ally, weak_adversary], [])

    columns = {c.stance: c for c in layout.columns}
    rows = {r.power: r for r in layout.rows}
    for mark in layout.marks:
        column, row = columns[mark.actor.stance], rows[mark.actor.power]
        assert column.start < mark.x < column.end
        assert row.top < mark.y < row.bottom


def test_the_stance_columns_run_from_adversary_to_ally_with_unknown_apart() -> None:
    layout = actor_map([], [])

    order = [c.stance for c in sorted(layout.columns, key=lambda c: c.start)]

    assert order == ["unknown", "adversary", "neutral", "ally"]


def test_right_to_left_mirrors_the_columns_and_the_axis() -> None:
    ltr, rtl = actor_map([actor()], []), actor_map([actor()], [], rtl=True)

    assert [c.stance for c in sorted(rtl.columns, key=lambda c: c.start)] == [
        "ally",
        "neutral",
        "adversary",
        "unknown",
    ]
    assert math.isclose(rtl.marks[0].x, ltr.width - ltr.marks[0].x)
    assert rtl.axis_x > rtl.width / 2 > ltr.axis_x


def test_more_power_makes_a_bigger_mark() -> None:
    layout = actor_map([actor(power=p, stance=s) for p, s in [(1, "ally"), (5, "neutral")]], [])

    radius = {m.actor.power: m.radius for m in layout.marks}

    assert radius[5] > radius[1]


def test_a_crowded_cell_drops_the_names_but_keeps_every_mark_inside_it() -> None:
    crowd = [actor(name=f"Ally {i}") for i in range(LABELLED_UP_TO + 1)]
    few = [actor(name=f"Neutral {i}", stance="neutral") for i in range(LABELLED_UP_TO)]

    layout = actor_map(crowd + few, [])

    column = {c.stance: c for c in layout.columns}
    assert all(m.label == [] for m in layout.marks if m.actor.stance == "ally")
    assert all(m.label for m in layout.marks if m.actor.stance == "neutral")
    for mark in layout.marks:
        assert column[mark.actor.stance].start <= mark.x - mark.radius
        assert mark.x + mark.radius <= column[mark.actor.stance].end
    assert len({(m.x, m.y) for m in layout.marks}) == len(layout.marks)  # no two on one spot


def test_a_long_name_wraps_on_two_lines_under_its_mark() -> None:
    layout = actor_map([actor(name="Harbourside Women's Shelter")], [])

    mark = layout.marks[0]
    assert mark.label == ["Harbourside", "Women's Shelter"]
    (first, first_y), (second, second_y) = mark.label_rows
    assert mark.y + mark.radius < first_y < second_y


def test_marks_with_two_line_names_stay_inside_their_row() -> None:
    names = ["Harbourside Women's Shelter", "Northtown Legal Advice", "Port Welfare Desk", "Amber"]
    layout = actor_map([actor(name=name, power=5) for name in names], [])

    row = next(r for r in layout.rows if r.power == 5)
    for mark in layout.marks:
        assert row.top < mark.y - mark.radius and mark.y + mark.radius < row.bottom
        assert mark.label_rows[-1][1] < row.bottom


def test_a_name_longer_than_two_lines_ends_in_an_ellipsis() -> None:
    layout = actor_map([actor(name="The Very Long Name Of A Network Of Networks")], [])

    assert layout.marks[0].label == ["The Very Long", "Name Of A…"]
    assert all(len(line) <= LABEL_LENGTH for line in layout.marks[0].label)


def test_the_list_groups_actors_by_stance_then_power_with_names_in_full() -> None:
    long_name = "The Very Long Name Of A Network Of Networks"
    actors = [
        actor(name="Zinnia Clinic", power=2),
        actor(name="Amber House", power=2),
        actor(name="Port Authority", power=5),
        actor(name=long_name, stance="adversary", power=4),
        actor(name="Someone", stance="unknown", power=1),
    ]

    groups = actor_map(actors, []).groups

    assert [g.stance for g in groups] == ["adversary", "ally", "unknown"]
    adversaries, allies, unknown = groups
    assert [(p, [a.name for a in members]) for p, members in allies.powers] == [
        (5, ["Port Authority"]),
        (2, ["Amber House", "Zinnia Clinic"]),
    ]
    assert adversaries.powers[0][1][0].name == long_name
    assert [g.count for g in groups] == [1, 3, 1]


def test_a_directed_relation_stops_at_the_edge_of_its_target() -> None:
    controller, controlled = actor(stance="adversary", power=5), actor(power=2)

    layout = actor_map([controller, controlled], [relation(controller, "control", controlled)])

    line, target = layout.lines[0], next(m for m in layout.marks if m.actor is controlled)
    assert math.hypot(line.x2 - target.x, line.y2 - target.y) > target.radius


def test_relations_with_an_end_off_the_map_are_left_out() -> None:
    shown, hidden = actor(), actor(stance="adversary")

    layout = actor_map([shown], [relation(hidden, "conflict", shown)])

    assert layout.lines == []


def test_the_key_names_only_the_sector_families_on_the_map() -> None:
    layout = actor_map([actor(sector="police"), actor(sector="judiciary", stance="neutral")], [])

    assert [key for key, _label in layout.families] == ["justice"]


def test_a_map_of_allies_only_has_one_narrow_column() -> None:
    everyone, allies_only = actor_map([actor()], []), actor_map([actor()], [], stances=["ally"])

    assert [c.stance for c in allies_only.columns] == ["ally"]
    assert allies_only.width < everyone.width / 2
    assert allies_only.columns[0].start < allies_only.marks[0].x < allies_only.columns[0].end


def test_the_key_lists_only_the_kinds_of_relation_drawn() -> None:
    a, b, c = actor(), actor(stance="neutral"), actor(stance="adversary")

    layout = actor_map([a, b, c], [relation(c, "control", a), relation(a, "close", b)])

    assert layout.relation_kinds == ["close", "control"]


def test_a_narrow_column_names_only_the_marks_that_fit_one_above_the_other() -> None:
    two = [actor(name=f"Unknown {i}", stance="unknown", power=2) for i in range(2)]
    three = [actor(name=f"Unknown {i}", stance="unknown", power=4) for i in range(3)]

    layout = actor_map(two + three, [])

    row = {r.power: r for r in layout.rows}
    named = [m for m in layout.marks if m.label]
    assert {m.actor.power for m in named} == {2} and len(named) == 2
    for mark in named:
        assert mark.label_rows[-1][1] < row[2].bottom
