"""An erasure waits for a second administrator: the others are told. The message that leaves the
app says only that; the list of erasures is behind the sign-in."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safespaces.accounts.models import User
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.selectors import administrators
from safespaces.notifications.services import notify

ERASURE_WAITING = "people.erasure_waiting"


def alert_kinds_register() -> None:
    register(
        Kind(
            ERASURE_WAITING,
            _("An erasure waits for a second administrator"),
            Urgency.NORMAL,
            _("an erasure waits for approval"),
            administrators_only=True,
        )
    )


def erasure_alerts_send(*, by: User) -> None:
    """Tell every administrator but the one who asked: only another may approve it."""
    recipients = administrators().exclude(pk=by.pk)
    notify(kind=ERASURE_WAITING, recipients=recipients, link=reverse("people:erasures"))
