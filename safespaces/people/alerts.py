"""Alerts about survivors' data: an erasure waits for a second administrator, an identity grant
ends soon. The messages that leave the app say only that; the pages are behind the sign-in."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from safespaces.accounts.models import User
from safespaces.notifications.kinds import Kind, Urgency, register
from safespaces.notifications.selectors import administrators
from safespaces.notifications.services import notify
from safespaces.people.models import IdentityGrant

ERASURE_WAITING = "people.erasure_waiting"
GRANT_ENDING = "people.grant_ending"
# Time for the holder to ask for more, and for an administrator to decide, before the grant ends.
WARN_BEFORE_END = timedelta(days=3)


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
    register(
        Kind(
            GRANT_ENDING,
            _("An identity grant ends within three days"),
            Urgency.NORMAL,
            _("an access grant ends soon"),
        )
    )


def erasure_alerts_send(*, by: User) -> None:
    """Tell every administrator but the one who asked: only another may approve it."""
    recipients = administrators().exclude(pk=by.pk)
    notify(kind=ERASURE_WAITING, recipients=recipients, link=reverse("people:erasures"))


def grant_ending_schedule(grant: IdentityGrant) -> None:
    """Queue the warning for three days before the grant ends: a deadline is a task that waits.
    A grant of three days or less ends no sooner than its holder and grantor expect."""
    warn_at = grant.expires_at - WARN_BEFORE_END
    if warn_at > grant.granted_at:
        grant_ending_tell.using(run_after=warn_at).enqueue(str(grant.pk))


@task()
def grant_ending_tell(grant_id: str) -> None:
    """Tell the holder and the administrators that a grant still standing ends soon; nothing for
    one revoked or over by the time the task runs."""
    grant = IdentityGrant.objects.filter(
        pk=grant_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()
    if grant is None:
        return
    holder_link = (
        reverse("people:detail", args=[grant.person_id])
        if grant.person_id
        else reverse("people:list")
    )
    notify(kind=GRANT_ENDING, recipients=[grant.user], link=holder_link)
    others = administrators().exclude(pk=grant.user_id)
    notify(kind=GRANT_ENDING, recipients=others, link=reverse("people:grants"))
