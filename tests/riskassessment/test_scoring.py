"""How ratings become numbers, bands and sentences (riskassessment.scoring): every rule and every
band edge, so a changed threshold fails here first."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from riskassessment.scoring import (
    Level,
    Ratings,
    explanation,
    index_level,
    is_credible,
    overall_level,
    risk_index,
    shown,
    threat_level,
    threat_score,
)

ratings = st.integers(min_value=1, max_value=5)
REDUCE_THE_THREAT = "reduce the threat first (allies, changing or postponing the activity)"


# --- Per threat: likelihood x impact ------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "impact", "score"), [(1, 1, 1), (2, 3, 6), (4, 4, 16), (5, 5, 25)]
)
def test_a_threat_scores_likelihood_times_impact(likelihood: int, impact: int, score: int) -> None:
    assert threat_score(likelihood, impact) == score


@pytest.mark.parametrize(
    ("likelihood", "impact", "level"),
    [
        (1, 1, Level.LOW),  # 1
        (2, 2, Level.LOW),  # 4, the top of low
        (1, 4, Level.LOW),  # 4
        (1, 5, Level.MODERATE),  # 5, the bottom of medium
        (3, 3, Level.MODERATE),  # 9, the top of medium
        (2, 5, Level.HIGH),  # 10, the bottom of high
        (4, 4, Level.HIGH),  # 16, the top of high
        (4, 5, Level.CRITICAL),  # 20, the bottom of critical
        (5, 5, Level.CRITICAL),  # 25
    ],
)
def test_a_threat_is_banded_low_medium_high_or_critical(
    likelihood: int, impact: int, level: Level
) -> None:
    assert threat_level(likelihood, impact) is level


def test_the_threat_bands_cover_every_product_of_two_ratings() -> None:
    bands: dict[Level, set[int]] = {}
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            level = threat_level(likelihood, impact)
            bands.setdefault(level, set()).add(likelihood * impact)

    assert bands == {
        Level.LOW: {1, 2, 3, 4},
        Level.MODERATE: {5, 6, 8, 9},
        Level.HIGH: {10, 12, 15, 16},
        Level.CRITICAL: {20, 25},
    }


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (6, 3), (3, 0), (3, 6), (-1, 1)])
def test_a_threat_rating_outside_1_to_5_is_refused(likelihood: int, impact: int) -> None:
    with pytest.raises(ValueError, match="must be a rating from 1 to 5"):
        threat_score(likelihood, impact)
    with pytest.raises(ValueError, match="must be a rating from 1 to 5"):
        threat_level(likelihood, impact)


# --- The index R = T x V / C --------------------------------------------------------------------


def test_the_index_is_an_exact_fraction() -> None:
    index = risk_index(4, 1, 3)

    assert isinstance(index, Fraction)
    assert index == Fraction(4, 3)
    assert shown(index) == "1.3"


@pytest.mark.parametrize(
    ("threat", "vulnerability", "capacity", "index", "level"),
    [
        (1, 1, 5, Fraction(1, 5), Level.LOW),  # the lowest index there is
        (3, 3, 5, Fraction(9, 5), Level.LOW),  # 1.8, just under moderate
        (2, 1, 1, Fraction(2), Level.MODERATE),  # exactly 2: moderate, not low
        (3, 3, 2, Fraction(9, 2), Level.MODERATE),  # 4.5
        (5, 4, 5, Fraction(4), Level.MODERATE),
        (5, 1, 1, Fraction(5), Level.HIGH),  # exactly 5: high
        (3, 3, 1, Fraction(9), Level.HIGH),  # 9, the top of high
        (5, 4, 3, Fraction(20, 3), Level.HIGH),  # 6.67
        (5, 2, 1, Fraction(10), Level.CRITICAL),  # exactly 10: critical
        (5, 5, 1, Fraction(25), Level.CRITICAL),  # the highest there is
    ],
)
def test_the_index_is_banded_at_2_5_and_10(
    threat: int, vulnerability: int, capacity: int, index: Fraction, level: Level
) -> None:
    assert risk_index(threat, vulnerability, capacity) == index
    assert index_level(index) is level
    assert Ratings(threat, vulnerability, capacity).level is level


@pytest.mark.parametrize(
    ("index", "level"),
    [
        (Fraction(199, 100), Level.LOW),
        (Fraction(2), Level.MODERATE),
        (Fraction(499, 100), Level.MODERATE),
        (Fraction(5), Level.HIGH),
        (Fraction(999, 100), Level.HIGH),
        (Fraction(10), Level.CRITICAL),
    ],
)
def test_the_band_edges_are_exact_on_either_side(index: Fraction, level: Level) -> None:
    assert index_level(index) is level


@pytest.mark.parametrize(
    ("threat", "vulnerability", "capacity"), [(0, 1, 1), (1, 6, 1), (1, 1, 0), (1, 1, 6)]
)
def test_an_index_rating_outside_1_to_5_is_refused(
    threat: int, vulnerability: int, capacity: int
) -> None:
    with pytest.raises(ValueError, match="must be a rating from 1 to 5"):
        risk_index(threat, vulnerability, capacity)


def test_ratings_show_their_index_with_one_decimal() -> None:
    ratings_ = Ratings(threat=5, vulnerability=4, capacity=3)

    assert (ratings_.index, ratings_.shown, ratings_.level) == (
        Fraction(20, 3),
        "6.7",
        Level.HIGH,
    )


@given(threat=ratings, vulnerability=ratings, capacity=ratings, more=st.integers(1, 4))
def test_more_threat_or_vulnerability_never_lowers_the_level_and_more_capacity_never_raises_it(
    threat: int, vulnerability: int, capacity: int, more: int
) -> None:
    level = Ratings(threat, vulnerability, capacity).level

    if threat + more <= 5:
        assert Ratings(threat + more, vulnerability, capacity).level >= level
    if vulnerability + more <= 5:
        assert Ratings(threat, vulnerability + more, capacity).level >= level
    if capacity + more <= 5:
        assert Ratings(threat, vulnerability, capacity + more).level <= level


# --- What counts for a decision -----------------------------------------------------------------


def test_the_overall_level_is_the_worse_of_the_index_and_the_worst_threat() -> None:
    assert overall_level(Level.MODERATE, [Level.LOW, Level.HIGH]) is Level.HIGH
    assert overall_level(Level.CRITICAL, [Level.LOW, Level.HIGH]) is Level.CRITICAL
    assert overall_level(Level.LOW, []) is Level.LOW


def test_the_overall_level_is_the_worst_threat_when_nobody_rated_the_index() -> None:
    assert overall_level(None, [Level.MODERATE, Level.LOW]) is Level.MODERATE


def test_there_is_no_overall_level_without_ratings_or_threats() -> None:
    assert overall_level(None, []) is None


@pytest.mark.parametrize(
    ("likelihood", "assessed_likely", "credible"),
    [
        (3, False, False),  # just under the bar
        (4, False, True),  # rated likely by the assessors
        (5, False, True),
        (1, True, True),  # a threat assessment found it likely or imminent
    ],
)
def test_a_threat_is_credible_when_rated_4_or_more_or_assessed_likely(
    likelihood: int, assessed_likely: bool, credible: bool
) -> None:
    assert is_credible(likelihood, assessed_likely=assessed_likely) is credible


# --- The sentence that explains the index -------------------------------------------------------


def test_it_names_every_cause_and_puts_reducing_the_threat_first() -> None:
    assert explanation(Ratings(5, 5, 1)) == (
        "Risk is critical mainly because the threat is strong, vulnerabilities are many and "
        f"capacities are low: {REDUCE_THE_THREAT}."
    )


def test_a_strong_threat_alone_is_named_from_a_threat_of_4() -> None:
    assert explanation(Ratings(4, 3, 3)) == (
        f"Risk is moderate mainly because the threat is strong: {REDUCE_THE_THREAT}."
    )


def test_many_vulnerabilities_alone_put_reducing_them_first() -> None:
    assert explanation(Ratings(3, 4, 3)) == (
        "Risk is moderate mainly because vulnerabilities are many: reduce the vulnerabilities "
        "first."
    )


def test_low_capacities_alone_put_building_them_first() -> None:
    assert explanation(Ratings(3, 3, 2)) == (
        "Risk is moderate mainly because capacities are low: build capacities first."
    )


def test_two_causes_are_joined_with_and() -> None:
    assert explanation(Ratings(3, 4, 2)) == (
        "Risk is high mainly because vulnerabilities are many and capacities are low: reduce the "
        "vulnerabilities first."
    )


def test_nothing_stands_out_under_the_thresholds() -> None:
    # T 3 is not strong, V 3 is not many, C 3 is not low.
    assert explanation(Ratings(3, 3, 3)) == (
        "Risk is moderate: no single factor stands out; keep the measures in place and watch "
        "for changes."
    )


def test_a_credible_threat_puts_reducing_the_threat_first_whatever_the_ratings() -> None:
    assert explanation(Ratings(2, 4, 1), credible_threat=True) == (
        "Risk is high mainly because vulnerabilities are many, capacities are low and a threat "
        f"is credible and current: {REDUCE_THE_THREAT}."
    )
    assert explanation(Ratings(1, 1, 5), credible_threat=True) == (
        f"Risk is low mainly because a threat is credible and current: {REDUCE_THE_THREAT}."
    )
    # A strong threat is already named as the cause: it is not said twice.
    assert "credible" not in explanation(Ratings(4, 1, 5), credible_threat=True)
