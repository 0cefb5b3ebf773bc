"""A risk level as a badge: its name in words, never colour alone (`{{ level|level_badge }}`)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from riskassessment.scoring import Level

register = template.Library()


@register.filter
def level_badge(level: int | None) -> SafeString:
    """Written here rather than as an included template: a risk situation's page shows eleven
    badges and the register two a row, and each include cost more than the badge."""
    if not level:
        return format_html('<span class="level level-none">{}</span>', gettext("Not rated"))
    try:
        label = Level(level).label
    except ValueError:  # as the template read it: a level past high is critical
        label = Level.CRITICAL.label
    return format_html('<span class="level level-{}">{}</span>', level, label)
