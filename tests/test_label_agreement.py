"""A short label that qualifies different nouns agrees with each in gendered languages.

"Low" is a risk level (masculine "nivel" in Spanish), a severity (feminine "gravedad") and a
confidence (feminine "certeza"): each use has its own pgettext context (docs/translation.md).
"""

from pathlib import Path

import polib
import pytest
from django.utils import translation

from incidents.forms import SEVERITY_WORDS
from incidents.models import Confidence, Severity
from riskassessment.models import MeasureStatus
from riskassessment.scoring import Level
from riskassessment.templatetags.risk_levels import level_badge
from tests.test_catalogues import CATALOGUES, language

# The labels that qualify more than one noun: never without a context.
SHARED = {"Low", "Medium", "Moderate", "High", "Critical", "Minor", "Serious", "Done"}


@pytest.mark.parametrize(
    ("code", "risk", "severity", "confidence"),
    [
        ("es", "Bajo", "Baja", "Baja"),
        ("fr", "Faible", "Faible", "Faible"),
        ("pt", "Baixo", "Baixa", "Baixa"),
        ("ar", "منخفض", "منخفضة", "منخفضة"),
    ],
)
def test_low_agrees_with_what_it_qualifies(
    code: str, risk: str, severity: str, confidence: str
) -> None:
    with translation.override(code):
        assert str(Level.LOW.label) == risk
        assert str(SEVERITY_WORDS[Severity.LOW][0]) == severity
        assert str(Confidence.LOW.label) == confidence


@pytest.mark.parametrize(
    ("code", "level", "severity", "badge", "scale"),
    [
        ("es", Level.CRITICAL, Severity.CRITICAL, "Crítico", "Crítica"),
        ("fr", Level.MODERATE, Severity.MODERATE, "Modéré", "Modérée"),
        ("pt", Level.HIGH, Severity.LOW, "Alto", "Baixa"),
    ],
)
def test_the_level_badge_and_the_severity_scale_each_agree_with_their_noun(
    code: str, level: Level, severity: Severity, badge: str, scale: str
) -> None:
    with translation.override(code):
        shown = level_badge(level.value)

        assert f">{badge}</span>" in shown
        assert str(SEVERITY_WORDS[severity][0]) == scale


@pytest.mark.parametrize(
    ("code", "measure", "button"), [("es", "Hecha", "Listo"), ("fr", "Faite", "Terminé")]
)
def test_a_done_measure_and_the_done_button_say_it_each_their_way(
    code: str, measure: str, button: str
) -> None:
    with translation.override(code):
        shown = translation.pgettext("button that leaves the page", "Done")

        assert str(MeasureStatus.DONE.label) == measure
        assert shown == button


@pytest.mark.parametrize("path", CATALOGUES, ids=language)
def test_a_shared_label_always_says_what_it_qualifies(path: Path) -> None:
    catalogue = polib.pofile(str(path))
    bare = [e.msgid for e in catalogue if e.msgid in SHARED and not e.msgctxt and not e.obsolete]
    contexts = {e.msgctxt for e in catalogue if e.msgid in SHARED}

    assert bare == []
    assert contexts >= {"risk level", "severity", "confidence"}
