"""Who sees which check-in. The person out in the field and their watchers see it from the
start; coordinators and administrators once an alarm is raised (missed, or help asked), when they
may be the ones to act. Until then where a colleague is tonight is not everyone's business."""

from dataclasses import dataclass
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from checkins.models import CheckIn
from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role


def _watched_by(user: User) -> Q:
    return Q(pk__in=CheckIn.watchers.through.objects.filter(user=user).values("checkin_id"))


def check_ins_visible_to(user: User) -> QuerySet[CheckIn]:
    seen = Q(person=user) | _watched_by(user)
    if has_role(user, Role.COORDINATOR):
        seen |= Q(alarm_at__isnull=False)
    return CheckIn.objects.filter(seen)


def alarms_for(user: User) -> QuerySet[CheckIn]:
    """Alarms still open that the user may act on: at the top of their home page, in red."""
    return (
        check_ins_visible_to(user)
        .filter(status=CheckIn.Status.ALARM)
        .exclude(person=user)
        .select_related("person")
        .order_by("alarm_at")
    )


def own_open(user: User) -> QuerySet[CheckIn]:
    """The user's own check-ins still running or in alarm: the buttons on their home page."""
    return (
        CheckIn.objects.filter(person=user).exclude(status=CheckIn.Status.CLOSED).order_by("due_at")
    )


@dataclass(frozen=True)
class CheckInAccess:
    """A check-in the user may see, and what they may do with it."""

    check_in: CheckIn
    is_theirs: bool  # check in, ask for more time, ask for help, end it
    may_respond: bool  # acknowledge the alarm, note calls, close it with an outcome


def check_in_access(user: User, check_in: CheckIn) -> CheckInAccess:
    theirs = check_in.person_id == user.pk
    watches = check_in.watchers.filter(pk=user.pk).exists()
    responds = not theirs and (
        watches or (check_in.alarm_at is not None and has_role(user, Role.COORDINATOR))
    )
    return CheckInAccess(check_in, is_theirs=theirs, may_respond=responds)


def get_check_in_for_user(request: AuthenticatedHttpRequest, code: UUID) -> CheckInAccess:
    """A check-in the user may see, or 404."""
    check_in = (
        check_ins_visible_to(request.user)
        .select_related("person", "place", "situation", "acknowledged_by", "closed_by")
        .filter(pk=code)
        .first()
    )
    if check_in is None:
        raise Http404
    return check_in_access(request.user, check_in)
