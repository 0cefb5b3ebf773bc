"""A risk level shows as a badge with its name in words: colour is never the only sign."""

from django.utils import translation

from riskassessment.scoring import Level
from riskassessment.templatetags.risk_levels import level_badge


def test_each_level_has_its_class_and_name_and_no_level_says_not_rated() -> None:
    with translation.override("en"):
        assert [level_badge(level) for level in Level] == [
            '<span class="level level-1">Low</span>',
            '<span class="level level-2">Moderate</span>',
            '<span class="level level-3">High</span>',
            '<span class="level level-4">Critical</span>',
        ]
        # The templates pass numbers too, and read a level past high as critical.
        assert level_badge(3) == '<span class="level level-3">High</span>'
        assert level_badge(5) == '<span class="level level-5">Critical</span>'
        assert level_badge(None) == '<span class="level level-none">Not rated</span>'
        assert level_badge(0) == level_badge(None)
