from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCode, BackupCodeDevice, SetupToken, User, UserSession
from safespaces.accounts.roles import Role
from safespaces.accounts.sessions import SEEN_MARGIN, auth_tag
from safespaces.accounts.setup_links import setup_token_digest


def has_confirmed_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    device = BackupCodeDevice.objects.filter(user=user, confirmed=True).first()
    return device.codes.count() if device else 0


def has_second_factor(user: User) -> bool:
    """A confirmed authenticator or at least one unused backup code."""
    return has_confirmed_authenticator(user) or backup_codes_left(user) > 0


def has_any_second_factor_device(user: User) -> bool:
    """Any authenticator or backup-code set, confirmed or pending, used up or not."""
    return (
        TOTPDevice.objects.filter(user=user).exists()
        or BackupCodeDevice.objects.filter(user=user).exists()
    )


def second_step(user: User) -> str:
    """Where a user who gave only a password goes next: verification, or enrolment first."""
    return "accounts:verify" if has_second_factor(user) else "accounts:enrol"


def coordinators() -> QuerySet[User]:
    """The active coordinators and administrators: who alerts about the organization's records
    go to, once each app has kept those who may see the record."""
    return User.objects.filter(
        is_active=True, groups__name__in=[Role.COORDINATOR.value, Role.ADMINISTRATOR.value]
    ).distinct()


def open_setup_links() -> QuerySet[SetupToken]:
    """Set-up links that still work: not used, not replaced, not expired."""
    return SetupToken.objects.filter(
        used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def setup_link_find(token: str) -> SetupToken | None:
    """The working set-up link of an active user for this token, or None."""
    return (
        open_setup_links()
        .filter(digest=setup_token_digest(token), user__is_active=True)
        .select_related("user")
        .first()
    )


def users_for_management() -> QuerySet[User]:
    """Every account with what the users page shows, in a fixed number of queries."""
    return (
        User.objects.order_by("username")
        .prefetch_related("groups")
        .annotate(
            has_authenticator=Exists(
                TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
            ),
            has_backup_codes=Exists(
                BackupCode.objects.filter(device__user=OuterRef("pk"), device__confirmed=True)
            ),
            setup_pending=Exists(open_setup_links().filter(user=OuterRef("pk"))),
        )
    )


def _session_cut_offs() -> dict[str, datetime]:
    # Later than the session's own timeouts by SEEN_MARGIN: a row is never judged timed out
    # while its session still works (see SessionLifetimeMiddleware).
    judged_at = timezone.now() - SEEN_MARGIN
    return {
        "last_seen_at__gt": judged_at - settings.SESSION_IDLE_TIMEOUT,
        "started_at__gt": judged_at - settings.SESSION_ABSOLUTE_TIMEOUT,
    }


def sessions_open(user: User) -> QuerySet[UserSession]:
    """The user's sessions that can still be used, oldest first.

    Not those idle or old enough to have expired, nor those Django no longer accepts because
    the password or the session stamp changed since they last made a request.
    """
    return UserSession.objects.filter(
        user=user, auth_tag=auth_tag(user), **_session_cut_offs()
    ).order_by("started_at")


def sessions_expired(user: User) -> QuerySet[UserSession]:
    """Rows of the user's sessions that ran out of time without another request."""
    return UserSession.objects.filter(user=user).exclude(**_session_cut_offs())
