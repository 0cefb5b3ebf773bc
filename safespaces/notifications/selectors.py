from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Address, Attempt, Notification


def unread_count(user: User) -> int:
    """One COUNT, for the header of every page."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def inbox(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def address_of(user: User) -> Address | None:
    return Address.objects.filter(user=user).first()


def failed_attempts() -> QuerySet[Attempt]:
    failed = [Attempt.Outcome.RETRYING, Attempt.Outcome.GAVE_UP]
    return Attempt.objects.filter(outcome__in=failed).select_related("recipient")


def administrators() -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name=Role.ADMINISTRATOR.value).distinct()


def get_notification_for_user(request: AuthenticatedHttpRequest, code: str) -> Notification:
    """The user's own notification, or 404: nobody else's, administrators' neither."""
    try:
        notification = Notification.objects.filter(pk=code, recipient=request.user).first()
    except ValidationError:
        notification = None  # not a UUID
    if notification is None:
        raise Http404
    return notification
