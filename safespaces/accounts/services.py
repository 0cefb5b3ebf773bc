"""Account writes: enrolment, verification, backup codes, resets. Each records an audit event."""

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.backup_codes import (
    CODE_COUNT,
    code_digest,
    looks_like_backup_code,
    new_code,
)
from safespaces.accounts.models import BackupCode, BackupCodeDevice, User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record

PENDING_NAME = "authenticator (pending)"
# The id of the device being enrolled in this session; the secret itself is never in the session.
PENDING_DEVICE_KEY = "safespaces_pending_device"


def authenticator_enrolment_start(*, request: HttpRequest) -> TOTPDevice:
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
    *, request: HttpRequest, device: TOTPDevice, token: str
) -> list[str] | None:
    """Confirm the pending authenticator with a code from it.

    Returns the fresh backup codes when this was the user's first second factor, an empty list
    when the user already had codes, and None when the code was wrong. Other sessions of the user
    end: whoever held them may have held the old phone.
    """
    user = request.user
    if not device.verify_token(token.strip().replace(" ", "")):
        audit_record(action=AuditEvent.Action.SECOND_FACTOR_FAILED, actor=user, target=user)
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    request.session.pop(PENDING_DEVICE_KEY, None)
    device.confirmed = True
    device.name = "authenticator"
    device.save(update_fields=["confirmed", "name"])
    audit_record(action=AuditEvent.Action.SECOND_FACTOR_ENROLLED, actor=user, target=user)
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


def backup_codes_replace(*, request: HttpRequest) -> list[str]:
    """A user's own request for new codes: a second-factor change, so other sessions end."""
    codes = backup_codes_regenerate(user=request.user)
    request.user.end_other_sessions()
    update_session_auth_hash(request, request.user)
    return codes


@sensitive_variables("token")
def second_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Check a code from the authenticator or a backup code, then finish signing in."""
    user = request.user
    token = token.strip().replace(" ", "")
    if looks_like_backup_code(token):
        device = BackupCodeDevice.objects.filter(user=user, confirmed=True).first()
        action = AuditEvent.Action.BACKUP_CODE_USED
    else:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        action = None
    if device is None or not device.verify_token(token):
        audit_record(action=AuditEvent.Action.SECOND_FACTOR_FAILED, actor=user, target=user)
        return False
    if action:
        audit_record(action=action, actor=user, target=user)
    audit_record(action=AuditEvent.Action.LOGIN, actor=user, target=user)
    _mark_verified(request, device)
    return True


def _mark_verified(request: HttpRequest, device: object) -> None:
    otp_login(request, device)
    # A new session key once both factors are given: a key seen before this point (on a shared
    # computer, in a proxy log) is worthless now.
    request.session.cycle_key()


@transaction.atomic
def second_factor_reset(*, user: User, by: User) -> None:
    """Remove every second factor of `user` and end their sessions; they enrol at next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    user.end_other_sessions()
    audit_record(action=AuditEvent.Action.SECOND_FACTOR_RESET, actor=by, target=user)
