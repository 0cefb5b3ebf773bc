"""The risk register's alerts: a decision that waits for a second coordinator's approval. The
message that leaves the app says only that; the link leads behind the sign-in."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from riskassessment.models import Assessment
from riskassessment.selectors import may_approve
from safespaces.accounts.selectors import coordinators
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.services import notifications_settle, notify

APPROVAL_WAITING = "riskassessment.approval_waiting"


def alert_kinds_register() -> None:
    register(
        Kind(
            APPROVAL_WAITING,
            _("A decision waits for your approval"),
            Urgency.NORMAL,
            _("a decision waits for approval"),
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
