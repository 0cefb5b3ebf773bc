"""The risk register's alerts: a decision that waits for a second coordinator's approval, and
two digests, measures overdue (daily) and situations due for reassessment (weekly), run by the
worker at 07:00 on the organization's clock (registered in apps.py). The messages that leave the
app say only that; the links lead behind the sign-in."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from riskassessment.models import Assessment
from riskassessment.selectors import may_approve, told_of_overdue_measures, told_of_situations_due
from safespaces.accounts.selectors import coordinators
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.services import digest_notify, notifications_settle, notify

APPROVAL_WAITING = "riskassessment.approval_waiting"
MEASURES_OVERDUE = "riskassessment.measures_overdue"
SITUATIONS_DUE = "riskassessment.situations_due"


def alert_kinds_register() -> None:
    register(
        Kind(
            APPROVAL_WAITING,
            _("A decision waits for your approval"),
            Urgency.NORMAL,
            _("a decision waits for approval"),
        )
    )
    register(
        Kind(
            MEASURES_OVERDUE,
            _("Daily: measures are overdue"),
            Urgency.DIGEST,
            _("measures are overdue"),
        )
    )
    register(
        Kind(
            SITUATIONS_DUE,
            _("Weekly: risk situations are due for reassessment"),
            Urgency.DIGEST,
            _("risk situations are due for reassessment"),
        )
    )


def approval_alerts_send(assessment: Assessment) -> None:
    """Tell everyone who may approve a decision that needs it (never the person who took it)."""
    if not assessment.awaits_approval:
        return
    recipients = [user for user in coordinators() if may_approve(assessment, user)]
    notify(kind=APPROVAL_WAITING, recipients=recipients, link=_link(assessment))


def approval_alerts_settle(assessment: Assessment) -> None:
    """Approved: nobody else needs to look at it any more."""
    notifications_settle(kind=APPROVAL_WAITING, link=_link(assessment))


def _link(assessment: Assessment) -> str:
    return reverse("riskassessment:assessment", args=[assessment.pk])


@task()
def measures_overdue_digest() -> int:
    """Tell each owner and coordinator who has overdue measures they may see, once a day, and
    return how many were told. The home page lists their overdue measures: there is no page of
    them alone, and the risk register is closed to staff."""
    told = digest_notify(
        kind=MEASURES_OVERDUE, recipients=told_of_overdue_measures(), link=reverse("home")
    )
    return len(told)


@task()
def situations_due_digest() -> int:
    """Tell each coordinator for whom risk situations are due for reassessment, once a week, and
    return how many were told. The link is the register filtered to those due."""
    link = reverse("riskassessment:register") + "?due=yes"
    told = digest_notify(kind=SITUATIONS_DUE, recipients=told_of_situations_due(), link=link)
    return len(told)
