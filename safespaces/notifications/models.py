from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safespaces.crypto.fields import EncryptedCharField
from safespaces.models import CodedModel


class Channel(models.TextChoices):
    """Outward channels; the in-app inbox is always on and needs no row."""

    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Alert relay")


class Notification(CodedModel):
    """One event for one person, in their inbox. No free text: the kind says what happened and
    the link says where to look, behind the sign-in, so nothing here needs encryption."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=64)
    # A path on this site ("/incidents/<code>/"), never a full URL: the base is added on the way
    # out.
    link = models.CharField(_("link"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The unread count in every page's header, and the inbox, newest first.
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(link__startswith="/") & ~models.Q(link__startswith="//"),
                name="notification_link_is_a_local_path",
            )
        ]

    def __str__(self) -> str:
        return f"notification {self.id}"


class Address(CodedModel):
    """Where someone's alerts go outside the app, given by them and encrypted: the one place an
    email address or a relay address (a Signal number, an ntfy topic) is kept."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    email = EncryptedCharField(_("email address"), max_length=254, blank=True)
    relay = EncryptedCharField(_("alert relay address"), max_length=200, blank=True)

    def __str__(self) -> str:
        return f"addresses {self.id}"


class Preference(models.Model):
    """Whether one outward channel is on for one kind, as the user chose; no row means the
    kind's default (see services.channels_for)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="one_preference_per_kind_and_channel"
            )
        ]

    def __str__(self) -> str:
        return f"preference {self.pk}"


class Delivery(CodedModel):
    """One notification on its way out by one channel. The message and the address are made at
    send time from the kind and the recipient's current addresses, never stored."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Read in the app, or answered there (a check-in made, an alarm closed), before it went.
        ANSWERED = "answered", _("Not sent: answered in the app first")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="one_delivery_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"delivery {self.id}"


class Attempt(models.Model):
    """One try at a delivery, for the administrators' failure list: what and how it went, never
    the message or the address."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        RETRYING = "retrying", _("Failed, will try again")
        GAVE_UP = "gave_up", _("Failed, gave up")

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=64)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    number = models.PositiveSmallIntegerField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    # The exception's class name ("SMTPRecipientsRefused"), never its message, which may hold
    # the address.
    error = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["outcome", "-at"], name="attempt_failures")]

    def __str__(self) -> str:
        return f"attempt {self.pk}"
