"""The incident book's urgent alerts: a check-in asked for, or a serious incident logged. Someone
may be in danger, so the coordinators who may see the incident hear of it at once, in the app and
by the channels they chose (see safespaces.notifications). The message that leaves the app says
only what kind of thing happened; the link leads behind the sign-in."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.models import Incident, Severity
from incidents.selectors import coordinators_who_see
from safespaces.accounts.models import User
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.services import notifications_settle, notify

WELFARE_ASKED = "incidents.welfare_asked"
SERIOUS_LOGGED = "incidents.serious_logged"


def alert_kinds_register() -> None:
    register(
        Kind(
            WELFARE_ASKED,
            _("Someone asked for a check-in after an incident"),
            Urgency.URGENT,
            _("someone asked for a check-in"),
            escalates=True,
        )
    )
    register(
        Kind(
            SERIOUS_LOGGED,
            _("A serious incident was logged (severity 4 or 5)"),
            Urgency.URGENT,
            _("a serious incident was logged"),
            escalates=True,
        )
    )


def incident_alerts_send(incident: Incident, *, by: User) -> None:
    """Tell the coordinators who may see a newly logged incident if it asks for a check-in or is
    serious. Not its reporter: they know."""
    kinds = [WELFARE_ASKED] if incident.welfare_follow_up else []
    # Serious (someone hurt or in danger) and critical (a life at risk now) call for action now.
    if incident.severity >= Severity.SERIOUS:
        kinds.append(SERIOUS_LOGGED)
    if not kinds:
        return
    recipients = [user for user in coordinators_who_see(incident) if user.pk != by.pk]
    for kind in kinds:
        notify(kind=kind, recipients=recipients, link=_link(incident))


def welfare_alerts_settle(incident: Incident) -> None:
    """Someone checked in: the other coordinators' alerts about it are answered."""
    notifications_settle(kind=WELFARE_ASKED, link=_link(incident))


def serious_alerts_settle(incident: Incident) -> None:
    notifications_settle(kind=SERIOUS_LOGGED, link=_link(incident))


def _link(incident: Incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])
