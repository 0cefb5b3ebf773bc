from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_MAC = "0" * 64


class AuditEvent(models.Model):
    """One thing that happened: who, when, what, to which object. Never a value or a name.

    A request only inserts its event, with no chain fields and no lock, so requests never wait on
    each other; its arrival order is `id`. The sealer (`audit_seal`, right after each commit, or
    once a request's response has been sent, and on the worker's schedule) then gives each
    pending row its place in the chain: `seq`, the previous row's MAC and an HMAC over its
    content and that MAC, so `audit_verify` finds any sealed row that was altered, removed or
    slipped in. Database triggers refuse DELETE, TRUNCATE and every UPDATE but that one sealing
    update of a pending row.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGIN_FAILED = "login_failed", _("Sign-in failed")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Second factor failed")
        PASSWORD_CONFIRMATION_FAILED = (
            "password_confirmation_failed",
            _("Password confirmation failed"),
        )
        LOGOUT = "logout", _("Signed out")
        QUICK_EXIT = "quick_exit", _("Quick exit")
        SESSION_EXPIRED = "session_expired", _("Session expired")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        SECOND_FACTOR_ENROLLED = "second_factor_enrolled", _("Authenticator set up")
        SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
        BACKUP_CODES_CREATED = "backup_codes_created", _("Backup codes created")
        BACKUP_CODE_USED = "backup_code_used", _("Backup code used")
        VIEW = "view", _("Viewed")
        LIST = "list", _("Listed")
        SEARCH = "search", _("Searched")
        EXPORT = "export", _("Exported")
        DOWNLOAD = "download", _("Downloaded")
        CREATE = "create", _("Created")
        CHANGE = "change", _("Changed")
        DELETE = "delete", _("Deleted")
        REVEAL_IDENTITY = "reveal_identity", _("Identity revealed")
        GRANT = "grant", _("Access granted")
        REVOKE = "revoke", _("Access revoked")
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        KEY_ROTATION = "key_rotation", _("Keys rotated")
        # A checkpoint: MACed under the old audit key, it names the key the chain continues under.
        AUDIT_KEY_ROTATION = "audit_key_rotation", _("Audit key rotated")
        ERASURE = "erasure", _("Erased")

    # The row's place in the MAC chain; null until the row is sealed.
    seq = models.PositiveBigIntegerField(unique=True, null=True, blank=True, editable=False)
    at = models.DateTimeField(editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Users are deactivated, never deleted, while the trail names them.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Names of the fields a change touched; never their values.
    fields = models.JSONField(default=list, blank=True)
    # Other records the response showed, as "label:id"; null when none. Nullable without a
    # default so adding it alters the append-only table without rewriting its rows.
    shown = models.JSONField(null=True, blank=True, editable=False)
    # Both empty until the row is sealed.
    prev_mac = models.CharField(max_length=64, blank=True, editable=False)
    mac = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        # Arrival order: pending rows have no `seq` yet, and screens show them too.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["actor", "-id"], name="audit_actor_newest_idx"),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["action", "-id"], name="audit_action_newest_idx"),
            models.Index(fields=["at"]),
            # The sealer's queue: small, whatever the size of the trail.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_pending_idx"
            ),
        ]
        constraints = [
            # Sealed means all three chain fields, pending none: the sealer and the triggers
            # tell the two apart by them.
            models.CheckConstraint(
                condition=models.Q(seq__isnull=True, prev_mac="", mac="")
                | (models.Q(seq__isnull=False) & ~models.Q(prev_mac="") & ~models.Q(mac="")),
                name="audit_sealed_whole_or_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"audit event {self.pk}"
