"""The alerts of field check-ins. Someone may be in danger, so every kind is urgent: the watchers
hear of a missed check-in, everyone who may help hears of a call for help or an alert nobody
answered, and whoever was alerted hears when it is over. The message that leaves the app says only
what kind of thing happened; the link leads behind the sign-in."""

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from checkins.models import CheckIn
from safespaces.accounts.models import User
from safespaces.accounts.selectors import coordinators
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.services import notifications_settle, notify

MISSED = "checkins.missed"
HELP = "checkins.help"
ESCALATED = "checkins.escalated"
CLOSED = "checkins.closed"
RAISED = [MISSED, HELP, ESCALATED]


def alert_kinds_register() -> None:
    for kind in [
        Kind(
            MISSED,
            _("A check-in you watch is overdue"),
            Urgency.URGENT,
            _("a check-in is overdue"),
            escalates=True,
        ),
        Kind(
            HELP,
            _("Someone out in the field asked for help now"),
            Urgency.URGENT,
            _("someone asked for help now"),
            escalates=True,
        ),
        Kind(
            ESCALATED,
            _("A check-in alert is still unanswered"),
            Urgency.URGENT,
            _("a check-in alert is still unanswered"),
            escalates=True,
        ),
        # Urgent too: whoever was called out must hear, wherever they are, that they can stop.
        Kind(
            CLOSED,
            _("A check-in alert you received is over"),
            Urgency.URGENT,
            _("a check-in alert is over"),
        ),
    ]:
        register(kind)


def link_of(check_in: CheckIn) -> str:
    return reverse("checkins:detail", args=[check_in.pk])


def _tell(kind: str, check_in: CheckIn, recipients: Iterable[User]) -> None:
    # Never the person out in the field: the alert is about them.
    notify(
        kind=kind,
        recipients=[user for user in recipients if user.pk != check_in.person_id],
        link=link_of(check_in),
    )


def missed_tell(check_in: CheckIn) -> None:
    _tell(MISSED, check_in, check_in.watchers.all())


def help_tell(check_in: CheckIn) -> None:
    """At once to the watchers and every coordinator: no grace period for a call for help."""
    _tell(HELP, check_in, [*check_in.watchers.all(), *coordinators()])


def escalated_tell(check_in: CheckIn) -> None:
    """Nobody acknowledged: every coordinator and administrator (`coordinators()` holds both)."""
    _tell(ESCALATED, check_in, coordinators())


def closed_tell(check_in: CheckIn, *, by: User) -> None:
    """The alert is over: its notifications are answered for everyone, and everyone it called
    out hears so, but the one who closed it."""
    alerted = {user.pk: user for user in check_in.watchers.all()}
    if check_in.alarm == CheckIn.Alarm.HELP or check_in.escalated_at is not None:
        alerted |= {user.pk: user for user in coordinators()}
    for kind in RAISED:
        notifications_settle(kind=kind, link=link_of(check_in))
    _tell(CLOSED, check_in, [user for pk, user in alerted.items() if pk != by.pk])
