import secrets
import uuid
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

from safespaces.accounts.roles import RANK, Role
from safespaces.crypto.fields import EncryptedCharField
from safespaces.models import CodedModel


def new_session_stamp() -> str:
    return secrets.token_hex(16)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: object) -> "User":
        user = self.model(username=self.model.normalize_username(username), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, username: str, password: str | None = None, **extra: object
    ) -> "User":
        extra["is_superuser"] = True
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Logs in by username; the display name is encrypted.

    There is no email or legal name here: accounts belong to survivors too, and a login needs
    neither.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only. A nickname is fine."),
    )
    display_name = EncryptedCharField(_("display name"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # The language pages and messages are in for this person; empty: the organization's
    # (LANGUAGE_CODE), or what the browser asks for. A code from LANGUAGES (safespaces.languages).
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    # Part of the session hash: changing it ends every session of this user at once.
    session_stamp = models.CharField(max_length=32, default=new_session_stamp, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("manage_users", "Can manage users and their roles"),
            ("reset_second_factor", "Can reset another user's second factor"),
        ]

    if TYPE_CHECKING:
        # Put on the request's user by django-otp's OTPMiddleware (django-otp has no types): true
        # once this session has given the second factor. A user loaded otherwise lacks it.
        def is_verified(self) -> bool: ...

    def __str__(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        """Django admin access: administrators only (the admin site also demands two factors)."""
        return self.is_active and (self.is_superuser or self.role == Role.ADMINISTRATOR)

    @cached_property
    def role(self) -> Role | None:
        names = {group.name for group in self.groups.all()}
        held = [role for role in Role if role.value in names]
        return max(held, key=RANK.__getitem__) if held else None

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django signs sessions with the password hash; adding the stamp lets a second-factor
        # change end the other sessions the way a password change does.
        key_salt = "safespaces.accounts.User.get_session_auth_hash"
        value = f"{self.password}|{self.session_stamp}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def end_other_sessions(self) -> None:
        self.session_stamp = new_session_stamp()
        self.save(update_fields=["session_stamp"])


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use backup codes, stored as keyed hashes.

    django-otp's static tokens keep codes in clear; ours keep only an HMAC under BLIND_INDEX_KEY,
    so a copy of the database does not hand out second factors.
    """

    if TYPE_CHECKING:
        # django-otp has no types, so the type checker cannot see the manager this model gets
        # from Device, nor the reverse accessors that need it.
        _default_manager: ClassVar[models.Manager["BackupCodeDevice"]]
        objects: ClassVar[models.Manager["BackupCodeDevice"]]

    class Meta:
        verbose_name = _("backup code set")

    def __str__(self) -> str:
        return f"backup codes of {self.user_id}"

    def get_throttle_factor(self) -> int:
        return 1

    def verify_token(self, token: str) -> bool:
        from safespaces.accounts.backup_codes import code_digest

        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        used, _ = self.codes.filter(digest=code_digest(self, token)).delete()
        if used:
            self.throttle_reset()
            return True
        self.throttle_increment()
        return False


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="backup_code_unique")
        ]

    def __str__(self) -> str:
        return "backup code"


class SetupToken(CodedModel):
    """A one-time set-up link: it sets the first password, then leads to enrolment.

    Only a keyed hash of the token is stored (see `setup_links.py`), so a copy of the database
    does not open anyone's account. A link works once, for a limited time, and only while it is
    the newest of its user: issuing another revokes it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="setup_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer link replaces this one or the account is deactivated.
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("set-up link")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="setup_token_expires_after_creation",
            ),
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="setup_token_used_or_revoked_not_both",
            ),
            # At most one link per user can still be used: a new one always replaces the old.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="setup_token_one_open_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"set-up link of {self.user_id}"


class UserSession(CodedModel):
    """A signed-in session: when it started, when it was last used, on what kind of device.

    Made when both factors are given; the session holds this row's id, and a session whose row is
    gone is signed out at its next request (see SessionLifetimeMiddleware). It keeps no session
    key, no address and no browser string: only the coarse device names in `sessions.py`.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    device = models.CharField(max_length=40, blank=True)
    # Derived from the session auth hash the session was last accepted with: a password change or
    # a new session stamp ends other sessions in Django, and their rows then no longer match.
    auth_tag = models.CharField(max_length=16)

    class Meta:
        verbose_name = _("signed-in session")
        indexes = [
            models.Index(fields=["user", "started_at"]),
            # For removing everyone's abandoned rows at each sign-in (services.session_start).
            models.Index(fields=["started_at"], name="usersession_started_at"),
        ]

    def __str__(self) -> str:
        return f"session of {self.user_id}"
