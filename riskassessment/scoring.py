"""How risk is scored: the only place that turns ratings into numbers, bands and sentences.

Two views side by side, as the method asks:

- per threat, likelihood x impact (1-25), the way staff reason in practice, banded
  low 1-4, medium 5-9, high 10-16, critical 20-25 (no product of two ratings from 1 to 5 falls
  between 17 and 19);
- Protection International's index R = T x V / C, with threat, vulnerability and capacity rated
  1-5 by the assessors, banded low below 2, moderate from 2 to below 5, high from 5 to below 10,
  critical from 10.

Inherent values are rated before the measures, residual values after them. Both are computed the
same way. The index is a `Fraction`, so band edges are exact (2 is moderate, not "1.9999").
"""

from dataclasses import dataclass
from fractions import Fraction

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

RATINGS = range(1, 6)
# From this likelihood up, a threat counts as credible and current on its own.
CREDIBLE_LIKELIHOOD = 4


class Level(models.IntegerChoices):
    """A band of risk. Threats call the second band "medium", the index "moderate"."""

    # The context lets a gendered language agree with its word for "risk level" (Portuguese
    # "nível baixo"), not with a confidence's or a severity's ("confiança baixa").
    LOW = 1, pgettext_lazy("risk level", "Low")
    MODERATE = 2, pgettext_lazy("risk level", "Moderate")
    HIGH = 3, pgettext_lazy("risk level", "High")
    CRITICAL = 4, pgettext_lazy("risk level", "Critical")


def _rating(value: int, name: str) -> int:
    if value not in RATINGS:
        raise ValueError(f"{name} must be a rating from 1 to 5, not {value!r}")
    return value


def threat_score(likelihood: int, impact: int) -> int:
    """Likelihood x impact, 1 to 25."""
    return _rating(likelihood, "likelihood") * _rating(impact, "impact")


def threat_level(likelihood: int, impact: int) -> Level:
    score = threat_score(likelihood, impact)
    if score <= 4:
        return Level.LOW
    if score <= 9:
        return Level.MODERATE
    if score <= 16:
        return Level.HIGH
    return Level.CRITICAL


def risk_index(threat: int, vulnerability: int, capacity: int) -> Fraction:
    """R = T x V / C, from 1/5 to 25."""
    return Fraction(
        _rating(threat, "threat") * _rating(vulnerability, "vulnerability"),
        _rating(capacity, "capacity"),
    )


def index_level(index: Fraction) -> Level:
    if index < 2:
        return Level.LOW
    if index < 5:
        return Level.MODERATE
    if index < 10:
        return Level.HIGH
    return Level.CRITICAL


def shown(index: Fraction) -> str:
    """The index as people read it: one decimal, "6.7"."""
    return f"{float(index):.1f}"


@dataclass(frozen=True)
class Ratings:
    """Threat, vulnerability and capacity, each rated 1-5, and what they make together."""

    threat: int
    vulnerability: int
    capacity: int

    @property
    def index(self) -> Fraction:
        return risk_index(self.threat, self.vulnerability, self.capacity)

    @property
    def level(self) -> Level:
        return index_level(self.index)

    @property
    def shown(self) -> str:
        return shown(self.index)


def overall_level(index: Level | None, threats: list[Level]) -> Level | None:
    """The level that counts for a decision: the worse of the index and the worst threat."""
    levels = [level for level in [index, *threats] if level is not None]
    return max(levels) if levels else None


def is_credible(likelihood: int, *, assessed_likely: bool = False) -> bool:
    """A threat is credible and current when a linked threat assessment found it likely or
    imminent, or when the assessors rate its likelihood 4 or 5."""
    return assessed_likely or likelihood >= CREDIBLE_LIKELIHOOD


def explanation(ratings: Ratings, *, credible_threat: bool = False) -> str:
    """One sentence that says why the index is what it is and what to do first.

    Against a clear and present threat, building capacities is too slow: a credible threat
    always puts acting on the threat first, whatever the other ratings.
    """
    level = str(ratings.level.label).lower()
    causes = []
    if ratings.threat >= 4:
        causes.append(_("the threat is strong"))
    if ratings.vulnerability >= 4:
        causes.append(_("vulnerabilities are many"))
    if ratings.capacity <= 2:
        causes.append(_("capacities are low"))
    if credible_threat and ratings.threat < 4:
        # Rated lower overall, yet one threat is credible and current: say so, it is the reason
        # for the advice.
        causes.append(_("a threat is credible and current"))
    if credible_threat or ratings.threat >= 4:
        advice = _("reduce the threat first (allies, changing or postponing the activity)")
    elif ratings.vulnerability >= 4:
        advice = _("reduce the vulnerabilities first")
    elif ratings.capacity <= 2:
        advice = _("build capacities first")
    else:
        advice = _("keep the measures in place and watch for changes")
    if not causes:
        return _("Risk is %(level)s: no single factor stands out; %(advice)s.") % {
            "level": level,
            "advice": advice,
        }
    joined = (
        causes[0]
        if len(causes) == 1
        else _("%(first)s and %(last)s")
        % {
            "first": ", ".join(causes[:-1]),
            "last": causes[-1],
        }
    )
    return _("Risk is %(level)s mainly because %(causes)s: %(advice)s.") % {
        "level": level,
        "causes": joined,
        "advice": advice,
    }
