from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCodeDevice, User


def has_confirmed_authenticator(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    device = BackupCodeDevice.objects.filter(user=user, confirmed=True).first()
    return device.codes.count() if device else 0


def has_second_factor(user: User) -> bool:
    """A confirmed authenticator or at least one unused backup code."""
    return has_confirmed_authenticator(user) or backup_codes_left(user) > 0


def second_step(user: User) -> str:
    """Where a user who gave only a password goes next: verification, or enrolment first."""
    return "accounts:verify" if has_second_factor(user) else "accounts:enrol"
