"""The risk panel of the home page: overdue measures for their owners and coordinators; for staff
the safety plans of the activities they take part in; for coordinators what is due for
reassessment and what awaits their approval."""

from django.http import HttpRequest

from riskassessment.models import RiskSituation
from riskassessment.selectors import (
    awaiting_approval,
    due_of,
    due_reasons,
    first_due,
    may_assess,
    measure_access,
    overdue_measures,
    register_of,
    situations_visible_to,
    with_due_flag,
)
from safespaces.accounts.roles import Role, has_role
from safespaces.dashboard import Panel

# The panel is a summary: a few lines each, with a link to the rest.
SHOWN = 5


def panel(request: HttpRequest) -> Panel | None:
    user = request.user
    if not user.is_authenticated or not has_role(user, Role.STAFF):
        return None
    overdue = list(overdue_measures(user)[: SHOWN + 1])
    context = {
        # Each with what this user may do with it: the template does not work it out.
        "overdue": [measure_access(user, measure) for measure in overdue[:SHOWN]],
        "more_overdue": len(overdue) > SHOWN,
    }
    if may_assess(user):
        # Without the register's places, which the panel does not show: joined to every current
        # situation before the few due are picked, they cost more than the rules.
        in_register = (
            register_of(user).select_related(None).filter(status=RiskSituation.Status.CURRENT)
        )
        # The database picks the few due; the rules run again for those to say why.
        due = due_of(first_due(with_due_flag(in_register, user), SHOWN + 1), user)
        context |= {
            "assesses": True,
            "due": [(situation, due_reasons(situation)) for situation in due[:SHOWN]],
            "more_due": len(due) > SHOWN,
            "approvals": list(awaiting_approval(user)[:SHOWN]),
        }
    else:
        # Staff have no register: this is their way to the plans of their activities.
        current = situations_visible_to(user).filter(status=RiskSituation.Status.CURRENT)
        context["plans"] = list(current.order_by("starts_on", "created_at")[:SHOWN])
    if not any(context.get(key) for key in ("overdue", "plans", "assesses")):
        return None
    return Panel("riskassessment/_dashboard.html", context)
