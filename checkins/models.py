from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from riskassessment.models import RiskSituation
from safespaces.crypto.fields import EncryptedTextField
from safespaces.models import CodedModel, VersionedModel
from safespaces.places.models import Place


class CheckIn(VersionedModel):
    """Someone out in the field, and the time by which the team expects to hear from them.

    The deadline is a task queued for `due_at` plus the grace period (`checkins.deadlines`); the
    record says where the check-in stands, its timeline (`CheckInEntry`) what happened.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")  # counting down to the next check-in
        ALARM = "alarm", _("Alarm")  # missed, or help asked: the watchers are on it
        CLOSED = "closed", _("Closed")

    class Alarm(models.TextChoices):
        MISSED = "missed", _("Check-in missed")
        HELP = "help", _("Help asked")

    class Outcome(models.TextChoices):
        ENDED = "ended", _("Ended by them, safe")
        SAFE = "safe", _("Reached, safe")
        NOT_REACHED = "not_reached", _("Not reached")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="check_ins",
        verbose_name=_("who is out"),
    )
    situation = models.ForeignKey(
        RiskSituation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("risk situation"),
    )
    activity = EncryptedTextField(_("what you are doing"))
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place"),
    )
    company = EncryptedTextField(_("who you are with"), blank=True)
    due_at = models.DateTimeField(_("check in by"))
    every_minutes = models.PositiveSmallIntegerField(_("then every (minutes)"), null=True)
    grace_minutes = models.PositiveSmallIntegerField(_("grace period (minutes)"), default=10)
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="watched_check_ins", verbose_name=_("watchers")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    alarm = models.CharField(_("alarm"), max_length=8, choices=Alarm.choices, blank=True)
    alarm_at = models.DateTimeField(null=True)
    escalated_at = models.DateTimeField(null=True)
    acknowledged_at = models.DateTimeField(null=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="alarm", alarm__in=["missed", "help"], alarm_at__isnull=False)
                | ~Q(status="alarm"),
                name="checkin_alarm_says_why_and_when",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) & ~Q(outcome="")
                | ~Q(status="closed") & Q(outcome=""),
                name="checkin_closed_has_an_outcome",
            ),
            models.CheckConstraint(
                condition=Q(every_minutes__isnull=True) | Q(every_minutes__gte=5),
                name="checkin_every_five_minutes_or_more",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"check-in {self.id}"

    @property
    def alarm_due_at(self) -> datetime:
        """When the watchers are alerted if nobody has checked in."""
        return self.due_at + timedelta(minutes=self.grace_minutes)


class CheckInEntry(CodedModel):
    """One line of a check-in's timeline; append-only, as an incident's timeline is."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        SAFE = "safe", _("Checked in: safe")
        EXTENDED = "extended", _("Asked for more time")
        HELP = "help", _("Asked for help now")
        MISSED = "missed", _("Check-in missed: watchers alerted")
        ESCALATED = "escalated", _("No answer: all coordinators and administrators alerted")
        ACKNOWLEDGED = "acknowledged", _("Alert acknowledged")
        CALL = "call", _("Call or message")
        CLOSED = "closed", _("Closed")

    check_in = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("what happened"), max_length=16, choices=Kind.choices)
    # Empty for what the app did by itself (an alert when the time passed).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = EncryptedTextField(_("note"), blank=True)
    # An alert that went out late, because no worker ran when it was due: by how many minutes.
    late_minutes = models.PositiveIntegerField(null=True)

    class Meta:
        verbose_name = _("check-in entry")
        verbose_name_plural = _("check-in entries")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"check-in entry {self.id}"
