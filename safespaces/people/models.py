from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from safespaces.crypto.fields import EncryptedCharField, EncryptedTextField
from safespaces.models import CodedModel, VersionedModel


class Person(VersionedModel):
    """Someone the organization protects or works with, known everywhere by an alias.

    Identity fields (IDENTITY_FIELDS) are encrypted and shown only to administrators and holders
    of an identity grant, after a Reveal that is audited.
    """

    class Relation(models.TextChoices):
        MEMBER = "member", _("Survivor member")
        STAFF = "staff", _("Staff")
        VOLUNTEER = "volunteer", _("Volunteer")
        FAMILY = "family", _("Family member")
        OTHER = "other", _("Other")

    class SurvivorStatus(models.TextChoices):
        SURVIVOR = "survivor", _("Survivor")
        NOT_SURVIVOR = "not_survivor", _("Not a survivor")
        NOT_SAID = "not_said", _("Not said")

    alias = models.CharField(
        _("alias"),
        max_length=80,
        help_text=_(
            "A pseudonym everyone in the app will see. Never a real name or a nickname people "
            "know them by."
        ),
    )
    relation = models.CharField(
        _("relation to the organization"), max_length=16, choices=Relation.choices
    )
    legal_name = EncryptedCharField(_("legal name"), max_length=200, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=50, blank=True)
    email = EncryptedCharField(_("email"), max_length=200, blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    messenger = EncryptedCharField(_("secure messenger"), max_length=200, blank=True)
    emergency_contact = EncryptedTextField(_("emergency contact"), blank=True)
    survivor_status = EncryptedCharField(
        _("survivor status"), max_length=16, choices=SurvivorStatus.choices, blank=True
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    consent_to_store = models.BooleanField(_("consents to us storing their data"), default=False)
    consent_to_store_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("account"),
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = [Lower("alias")]
        constraints = [
            models.UniqueConstraint(
                Lower("alias"),
                condition=models.Q(erased_at__isnull=True),
                name="person_alias_unique",
                violation_error_message=_("Someone already has this alias. Choose another."),
            ),
        ]

    def __str__(self) -> str:
        return self.alias


IDENTITY_FIELDS = [
    "legal_name",
    "phone",
    "email",
    "address",
    "messenger",
    "emergency_contact",
    "survivor_status",
    "notes",
]


class IdentityGrant(CodedModel):
    """Lets one user reveal the identity of one person, or of everyone, until it expires."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity_grants"
    )
    # None: every person.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="grants"
    )
    reason = EncryptedTextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("granted_at")),
                name="grant_expires_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"identity grant {self.id}"


class ErasureRequest(CodedModel):
    """An administrator asks to erase a person; a second administrator approves."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="erasure_requests")
    reason = EncryptedTextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("requested_by")),
                name="erasure_needs_a_second_administrator",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(approved_at__isnull=True, cancelled_at__isnull=True),
                name="one_open_erasure_request_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"erasure request {self.id}"


class RevealTicket(CodedModel):
    """One deliberate "Reveal identity", waiting for the page load that shows it.

    The reveal is asked for by POST and shown by the GET it redirects to, so that reloading the
    page repeats the GET, not the POST. The GET shows the identity only while it can use this
    ticket, and uses it up: a reload finds none and shows the identity hidden again. The ticket
    holds no value, only who may use it, for whom and until when; its random code goes in the
    address of that one GET.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"reveal ticket {self.id}"
