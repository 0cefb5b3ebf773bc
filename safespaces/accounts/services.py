"""Account writes: accounts and roles, set-up links, enrolment, verification, backup codes,
resets. Each records an audit event."""

from enum import StrEnum

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.backup_codes import (
    CODE_COUNT,
    code_digest,
    looks_like_backup_code,
    new_code,
)
from safespaces.accounts.client_address import client_address
from safespaces.accounts.models import BackupCode, BackupCodeDevice, SetupToken, User, UserSession
from safespaces.accounts.roles import Role
from safespaces.accounts.selectors import (
    has_any_second_factor_device,
    open_setup_links,
    sessions_expired,
    sessions_open,
)
from safespaces.accounts.sessions import (
    SEEN_MARGIN,
    SEEN_RESOLUTION,
    SESSION_RECORD_KEY,
    auth_tag,
    device_hint,
)
from safespaces.accounts.setup_links import (
    SETUP_LINK_LIFETIME,
    new_setup_token,
    setup_token_digest,
)
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.notifications import kinds as notification_kinds
from safespaces.notifications.services import notify


def _owner_notify(user: User, kind: str) -> None:
    """Tell the account's owner of a change to it, in the app and by their channels (always on):
    if it was not them, they learn of it even when someone else holds their session."""
    notify(kind=kind, recipients=[user], link=reverse("accounts:account"))


PENDING_NAME = "authenticator (pending)"
# The id of the device being enrolled in this session; the secret itself is never in the session.
PENDING_DEVICE_KEY = "safespaces_pending_device"


# How many wrong passwords this session has given on the pages that ask again: a count only.
WRONG_PASSWORDS_KEY = "safespaces_wrong_passwords"


class PasswordCheck(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    SESSION_ENDED = "session_ended"  # wrong, and the session is signed out


@sensitive_variables("password")
def password_confirm(*, request: HttpRequest, user: User, password: str) -> PasswordCheck:
    """Check the password of the signed-in `user` again; the only place any page checks one.

    It goes through sign-in's own throttle (django-axes, per username and client address), so
    wrong passwords here and on the login page add up to the same limit. The session keeps a
    count of its own too, whatever the address: a borrowed session that changes address on every
    try gets no more guesses than one that does not. Each wrong one is audited. The try that
    reaches either limit, and any try while signing in is paused, ends the session
    (SESSION_ENDED): the caller sends the person to the login page, which stays paused for the
    cool-off at that address. A right password clears both counts, as signing in does.
    """
    username = user.get_username()
    # Checked like a sign-in: axes refuses during the pause and counts a failure otherwise.
    confirmed = authenticate(request, username=username, password=password)
    if confirmed is not None and confirmed.pk == user.pk:
        if settings.AXES_RESET_ON_SUCCESS:
            AxesProxyHandler.reset_attempts(username=username, ip_address=client_address(request))
        request.session.pop(WRONG_PASSWORDS_KEY, None)
        return PasswordCheck.RIGHT
    audit_record(action=AuditEvent.Action.PASSWORD_CONFIRMATION_FAILED, actor=user, target=user)
    wrong = request.session.get(WRONG_PASSWORDS_KEY, 0) + 1
    request.session[WRONG_PASSWORDS_KEY] = wrong
    if getattr(request, "axes_locked_out", False) or wrong >= settings.AXES_FAILURE_LIMIT:
        _session_end_for_guessing(request)
        return PasswordCheck.SESSION_ENDED
    return PasswordCheck.WRONG


def _session_end_for_guessing(request: HttpRequest) -> None:
    session_end(request=request)
    # This page answers the lockout itself (the login page, with a message) instead of axes'
    # "paused" page, which speaks of a sign-in that did not happen here.
    request.axes_locked_out = False  # type: ignore[attr-defined]


def authenticator_enrolment_start(*, request: AuthenticatedHttpRequest) -> TOTPDevice:
    """The pending authenticator of this session, made on first use.

    The secret belongs to the session that asked for it: another session with the same password
    (someone who learned it) gets a secret of its own and cannot copy the one being confirmed
    here. Starting anew discards every other pending device of the user.
    """
    user = request.user
    pending = TOTPDevice.objects.filter(user=user, confirmed=False)
    device = pending.filter(pk=request.session.get(PENDING_DEVICE_KEY)).first()
    if device is None:
        pending.delete()
        device = TOTPDevice.objects.create(user=user, name=PENDING_NAME, confirmed=False)
        request.session[PENDING_DEVICE_KEY] = device.pk
    return device


@sensitive_variables("token")
@transaction.atomic
def authenticator_enrolment_confirm(
    *, request: AuthenticatedHttpRequest, device: TOTPDevice, token: str
) -> list[str] | None:
    """Confirm the pending authenticator with a code from it.

    Returns the fresh backup codes when this was the user's first second factor, an empty list
    when the user already had codes, and None when the code was wrong. Other sessions of the user
    end: whoever held them may have held the old phone.
    """
    user = request.user
    # Locked as in second_factor_verify. Gone when another session of the user has started
    # enrolling since: its secret replaced this one.
    locked = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
    if locked is None or not locked.verify_token(token.strip().replace(" ", "")):
        audit_record(action=AuditEvent.Action.SECOND_FACTOR_FAILED, actor=user, target=user)
        return None
    device = locked
    replaced, _by_model = (
        TOTPDevice.objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    request.session.pop(PENDING_DEVICE_KEY, None)
    device.confirmed = True
    device.name = "authenticator"
    device.save(update_fields=["confirmed", "name"])
    audit_record(action=AuditEvent.Action.SECOND_FACTOR_ENROLLED, actor=user, target=user)
    if replaced:
        _owner_notify(user, notification_kinds.SECOND_FACTOR_RESET)
    codes = [] if _backup_device(user).codes.exists() else backup_codes_regenerate(user=user)
    user.end_other_sessions()
    update_session_auth_hash(request, user)
    _mark_verified(request, device)
    return codes


def _backup_device(user: User) -> BackupCodeDevice:
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "backup codes", "confirmed": True}
    )
    return device


@sensitive_variables("codes")
@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's backup codes with ten new ones; the caller shows them once."""
    device = _backup_device(user)
    device.codes.all().delete()
    codes = [new_code() for _ in range(CODE_COUNT)]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, digest=code_digest(device, c)) for c in codes
    )
    audit_record(action=AuditEvent.Action.BACKUP_CODES_CREATED, actor=user, target=user)
    return codes


def backup_codes_replace(*, request: AuthenticatedHttpRequest) -> list[str]:
    """A user's own request for new codes: a second-factor change, so other sessions end."""
    codes = backup_codes_regenerate(user=request.user)
    _owner_notify(request.user, notification_kinds.BACKUP_CODES)
    request.user.end_other_sessions()
    update_session_auth_hash(request, request.user)
    return codes


@sensitive_variables("token")
@transaction.atomic
def second_factor_verify(*, request: AuthenticatedHttpRequest, token: str) -> bool:
    """Check a code from the authenticator or a backup code, then finish signing in.

    The device row stays locked until the request commits, so sessions sending codes at the
    same moment take turns: a code works for one of them only, and each wrong code counts
    towards the back-off before the next is checked.
    """
    user = request.user
    token = token.strip().replace(" ", "")
    if looks_like_backup_code(token):
        devices = BackupCodeDevice.objects.filter(user=user, confirmed=True)
        action = AuditEvent.Action.BACKUP_CODE_USED
    else:
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
        action = None
    device = devices.select_for_update().first()
    if device is None or not device.verify_token(token):
        audit_record(action=AuditEvent.Action.SECOND_FACTOR_FAILED, actor=user, target=user)
        return False
    if action:
        audit_record(action=action, actor=user, target=user)
    audit_record(action=AuditEvent.Action.LOGIN, actor=user, target=user)
    _owner_notify(user, notification_kinds.SIGN_IN)
    _mark_verified(request, device)
    return True


def _mark_verified(request: AuthenticatedHttpRequest, device: Device) -> None:
    otp_login(request, device)
    # A new session key once both factors are given: a key seen before this point (on a shared
    # computer, in a proxy log) is worthless now.
    request.session.cycle_key()
    session_start(request=request)


@transaction.atomic
def second_factor_reset(*, user: User, by: User) -> None:
    """Remove every second factor of `user` and end their sessions; they enrol at next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    user.end_other_sessions()
    UserSession.objects.filter(user=user).delete()
    audit_record(action=AuditEvent.Action.SECOND_FACTOR_RESET, actor=by, target=user)
    _owner_notify(user, notification_kinds.SECOND_FACTOR_RESET)


@transaction.atomic
def session_start(*, request: AuthenticatedHttpRequest) -> UserSession:
    """Record a session that has just given both factors; beyond SESSIONS_PER_USER open
    sessions, the user's oldest ends (recorded as expired)."""
    user = request.user
    tag = auth_tag(user)
    current = _this_session_row(request).filter(user=user).first()
    if current is not None:
        # Already recorded: a signed-in session confirming a new authenticator.
        current.auth_tag = tag
        current.save(update_fields=["auth_tag"])
        return current
    # The user's row is locked so that two sign-ins at the same moment cannot both stay under
    # the cap. The device lock in second_factor_verify does not do it: one sign-in may use the
    # authenticator and the other a backup code, two different rows.
    User.objects.select_for_update().only("pk").get(pk=user.pk)
    # Rows of sessions that ran out of time without another request go, each recorded as that
    # session's expiry. (A row whose session Django no longer accepts stays until then: it may
    # be a live session that changed its own password and has not made a request since.)
    for expired in sessions_expired(user):
        _session_row_expire(expired)
    _sessions_purge_abandoned()
    still_open = list(sessions_open(user))
    for oldest in still_open[: max(0, len(still_open) - settings.SESSIONS_PER_USER + 1)]:
        _session_row_expire(oldest)
    now = timezone.now()
    record = UserSession.objects.create(
        user=user,
        started_at=now,
        last_seen_at=now,
        device=device_hint(request.headers.get("User-Agent", "")),
        auth_tag=tag,
    )
    request.session[SESSION_RECORD_KEY] = str(record.pk)
    return record


def _this_session_row(request: HttpRequest) -> QuerySet[UserSession]:
    """The row of this session; none before the second factor or for sessions opened before
    sessions were listed."""
    record_id = request.session.get(SESSION_RECORD_KEY)
    if record_id is None:
        return UserSession.objects.none()
    return UserSession.objects.filter(pk=record_id)


def _session_row_expire(record: UserSession) -> None:
    audit_record(action=AuditEvent.Action.SESSION_EXPIRED, actor=record.user, target=record)
    record.delete()


# Rows removed per sign-in by the purge below: enough to keep up, few enough to stay quick.
PURGE_BATCH = 100


def _sessions_purge_abandoned() -> None:
    """Remove anyone's rows started longer ago than the absolute timeout, a batch at a time.

    Their sessions cannot be used any more, and someone who never signs in again would
    otherwise keep them for ever: Django's `clearsessions` removes the sessions, not these rows.
    """
    cut_off = timezone.now() - settings.SESSION_ABSOLUTE_TIMEOUT - SEEN_MARGIN
    abandoned = UserSession.objects.filter(started_at__lt=cut_off).select_related("user")
    for record in abandoned.order_by("started_at")[:PURGE_BATCH]:
        _session_row_expire(record)


def session_touch(*, request: AuthenticatedHttpRequest) -> bool:
    """Note that this signed-in session is in use. False when it was ended elsewhere (signed out
    from another session or by the cap): its row is gone, and the caller signs it out."""
    record_id = request.session.get(SESSION_RECORD_KEY)
    if record_id is None:
        return True  # not through the second factor yet, or opened before sessions were listed
    record = UserSession.objects.filter(pk=record_id, user=request.user).first()
    if record is None:
        return False
    changed: dict[str, object] = {}
    now = timezone.now()
    if now - record.last_seen_at >= SEEN_RESOLUTION:
        changed["last_seen_at"] = now
    # This session just passed Django's check of the session hash, so a new hash (its own new
    # password or authenticator) is its own: keep it listed.
    if record.auth_tag != (tag := auth_tag(request.user)):
        changed["auth_tag"] = tag
    if changed:
        UserSession.objects.filter(pk=record.pk).update(**changed)
    return True


def password_change_record(*, user: User) -> None:
    """After the user changed their own password (Django's view saves it)."""
    audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=user, target=user)
    _owner_notify(user, notification_kinds.PASSWORD_CHANGED)


def session_end(
    *, request: HttpRequest, action: AuditEvent.Action = AuditEvent.Action.LOGOUT
) -> None:
    """Sign out of this session and record it: signing out, the records admin's sign-out, quick
    exit and expiry all come here."""
    audit_record(action=action, actor=request.user)
    _this_session_row(request).delete()
    logout(request)


@transaction.atomic
def sessions_end_others(*, request: AuthenticatedHttpRequest) -> None:
    """Sign out every other session of the user; this one stays signed in."""
    user = request.user
    current = _this_session_row(request)
    UserSession.objects.filter(user=user).exclude(pk__in=current).delete()
    # A new stamp also ends sessions without a row: ones opened before sessions were listed.
    user.end_other_sessions()
    update_session_auth_hash(request, user)
    current.update(auth_tag=auth_tag(user))
    audit_record(action=AuditEvent.Action.LOGOUT, actor=user, target=user, fields=["session_stamp"])


class OwnAccount(Exception):
    """An administrator tried to deactivate, demote or re-issue their own account.

    Refused so that an organization always keeps an administrator who can sign in.
    """


@transaction.atomic
def user_create(*, username: str, display_name: str, role: Role | None, by: User) -> User:
    """A new account with an unusable password: the person sets one through a set-up link."""
    user = User(username=User.normalize_username(username), display_name=display_name)
    user.set_unusable_password()
    user.save(force_insert=True)
    _role_set(user, role)
    filled = ["username", *(["display_name"] if display_name else []), *(["role"] if role else [])]
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=user, fields=filled)
    return user


def _role_set(user: User, role: Role | None) -> None:
    user.groups.remove(*Group.objects.filter(name__in=Role.values))
    if role:
        user.groups.add(Group.objects.get(name=role.value))
    user.__dict__.pop("role", None)  # the cached role is stale now


@transaction.atomic
def user_role_change(*, user: User, role: Role | None, by: User) -> bool:
    """Give `user` this role, or none. Returns False when it was already theirs."""
    if user.pk == by.pk and role != Role.ADMINISTRATOR:
        raise OwnAccount
    if user.role == role:
        return False
    _role_set(user, role)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=user, fields=["role"])
    return True


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> None:
    """Lock the account: every session ends at once and no set-up link of theirs works."""
    if user.pk == by.pk:
        raise OwnAccount
    user.is_active = False
    user.save(update_fields=["is_active"])
    # Inactive users cannot sign in or use a session anyway; a new stamp makes sure no session
    # of theirs comes back if the account is reactivated.
    user.end_other_sessions()
    UserSession.objects.filter(user=user).delete()
    _setup_links_revoke(user)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=user, fields=["is_active"])


@transaction.atomic
def user_reactivate(*, user: User, by: User) -> None:
    """Let the account sign in again with its password and second factor."""
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=user, fields=["is_active"])


def _setup_links_revoke(user: User) -> None:
    SetupToken.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@sensitive_variables("token")
@transaction.atomic
def setup_link_issue(*, user: User, by: User) -> tuple[SetupToken, str]:
    """A new one-time set-up link for `user`; returns it and the token to show once.

    Any older link of theirs stops working. For an account that was already in use (a lost phone
    and a lost password) the password and every second factor go too, and their sessions end:
    otherwise whoever knows the old password could enrol a phone of their own before the real
    user opens the link.
    """
    if user.pk == by.pk:
        raise OwnAccount
    if not user.is_active:
        raise ValueError("reactivate the account before issuing a set-up link")
    if user.has_usable_password() or has_any_second_factor_device(user):
        user.set_unusable_password()
        user.save(update_fields=["password"])
        audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=user, fields=["password"])
        second_factor_reset(user=user, by=by)
    _setup_links_revoke(user)
    token = new_setup_token()
    now = timezone.now()
    link = SetupToken.objects.create(
        user=user,
        digest=setup_token_digest(token),
        created_at=now,
        expires_at=now + SETUP_LINK_LIFETIME,
    )
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=link)
    return link, token


@sensitive_variables("token", "password")
@transaction.atomic
def setup_link_redeem(*, token: str, password: str) -> User | None:
    """Use the link once: set the user's password. None when the link no longer works.

    The caller signs the user in with the password step only; enrolment follows.
    """
    # Locked, so two submissions of the same link cannot both set a password.
    link = (
        open_setup_links()
        .select_for_update()
        .filter(digest=setup_token_digest(token), user__is_active=True)
        .first()
    )
    if link is None:
        return None
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    user = link.user
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=user, target=link, fields=["used_at"])
    audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=user, target=user)
    return user


def language_choose(*, user: User, language: str) -> None:
    """Keep the language `user` chose for pages and messages ("": the organization's)."""
    user.language = language
    user.save(update_fields=["language"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=user, target=user, fields=["language"])
