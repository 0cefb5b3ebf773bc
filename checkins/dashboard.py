"""The check-ins at the top of the home page: the user's own, with the buttons to answer them, and
the alarms they may act on, in red, until each is closed. Who and when only: what and where are on
the check-in's page."""

from django.http import HttpRequest
from django.utils import timezone

from checkins.forms import MoreTimeForm
from checkins.selectors import alarms_for, own_open
from safespaces.accounts.roles import Role, has_role
from safespaces.dashboard import Panel


def panel(request: HttpRequest) -> Panel | None:
    user = request.user
    if not user.is_authenticated or not has_role(user, Role.STAFF):
        return None
    context = {"own": list(own_open(user)), "alarms": list(alarms_for(user)), "now": timezone.now()}
    if not context["own"] and not context["alarms"]:
        return Panel("checkins/_start.html")
    return Panel("checkins/_dashboard.html", context | {"more_time": MoreTimeForm()}, urgent=True)
