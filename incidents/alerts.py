"""The incident book's urgent alerts: a check-in asked for, a serious incident, a threat assessed
as likely or imminent. Someone may be in danger, so the coordinators who may see the incident hear
of it at once, in the app and by the channels they chose (see safespaces.notifications). The
message that leaves the app says only what kind of thing happened; the link leads behind the
sign-in."""

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from incidents.models import Conclusion, Incident, Severity, ThreatAssessment
from incidents.selectors import coordinators_who_see
from safespaces.accounts.models import User
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.services import notifications_settle, notify

WELFARE_ASKED = "incidents.welfare_asked"
WELFARE_DONE = "incidents.welfare_done"
SERIOUS_LOGGED = "incidents.serious_logged"
THREAT_LIKELY = "incidents.threat_likely"
# The conclusions that call for action now, least urgent first.
CREDIBLE: list[str] = [Conclusion.LIKELY, Conclusion.IMMINENT]


def alert_kinds_register() -> None:
    register(
        Kind(
            WELFARE_DONE,
            _("The check-in you asked for after an incident is recorded"),
            Urgency.NORMAL,
            _("a check-in you asked for is recorded"),
        )
    )
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
    register(
        Kind(
            THREAT_LIKELY,
            _("A threat was assessed as likely or imminent"),
            Urgency.URGENT,
            _("a threat was assessed as likely or imminent"),
            escalates=True,
        )
    )


def _raised(*, welfare_pending: bool, severity: int) -> list[str]:
    """The alerts an incident in this state calls for."""
    kinds = [WELFARE_ASKED] if welfare_pending else []
    # Serious (someone hurt or in danger) and critical (a life at risk now) call for action now.
    if severity >= Severity.SERIOUS:
        kinds.append(SERIOUS_LOGGED)
    return kinds


def incident_alerts_send(
    incident: Incident, *, by: User, before: Mapping[str, Any] | None = None
) -> None:
    """Tell the coordinators who may see the incident if it asks for a check-in or is serious:
    at logging, or after an edit (`before` holds the edited row's `welfare_follow_up` and
    `severity`) only what the edit turned on. Not whoever logged or edited it: they know."""
    kinds = _raised(welfare_pending=incident.welfare_pending, severity=incident.severity)
    if before is not None:
        # An edit never touches welfare_done_at: a check-in asked for is pending before it, as
        # after, exactly when it was asked for.
        was = _raised(welfare_pending=before["welfare_follow_up"], severity=before["severity"])
        kinds = [kind for kind in kinds if kind not in was]
    if not kinds:
        return
    recipients = [user for user in coordinators_who_see(incident) if user.pk != by.pk]
    for kind in kinds:
        notify(kind=kind, recipients=recipients, link=_link(incident))


def threat_alerts_send(
    assessment: ThreatAssessment, *, by: User, before: str | None = None
) -> None:
    """Tell the coordinators who may see the incident, but not the assessor, when its threat
    assessment concludes likely or imminent and the conclusion it replaces (`before`, None for a
    first assessment) was less: saving the same conclusion again, or lowering imminent to
    likely, tells nobody anything new."""
    now = assessment.conclusion
    if now not in CREDIBLE:
        return
    if before in CREDIBLE and CREDIBLE.index(before) >= CREDIBLE.index(now):
        return
    incident = assessment.incident
    recipients = [user for user in coordinators_who_see(incident) if user.pk != by.pk]
    notify(kind=THREAT_LIKELY, recipients=recipients, link=_link(incident))


def welfare_done_tell(incident: Incident, *, by: User) -> None:
    """Tell the reporter that the check-in they asked for is recorded, unless they recorded it."""
    if incident.reporter_id != by.pk:
        notify(kind=WELFARE_DONE, recipients=[incident.reporter], link=_link(incident))


def welfare_alerts_settle(incident: Incident) -> None:
    """Someone checked in: the other coordinators' alerts about it are answered."""
    notifications_settle(kind=WELFARE_ASKED, link=_link(incident))


def serious_alerts_settle(incident: Incident) -> None:
    notifications_settle(kind=SERIOUS_LOGGED, link=_link(incident))


def threat_alerts_settle(incident: Incident) -> None:
    notifications_settle(kind=THREAT_LIKELY, link=_link(incident))


def _link(incident: Incident) -> str:
    return reverse("incidents:detail", args=[incident.pk])
