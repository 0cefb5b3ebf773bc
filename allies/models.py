from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safespaces.crypto.fields import EncryptedCharField, EncryptedTextField
from safespaces.models import ONE_TO_FIVE, CodedModel, VersionedModel
from safespaces.people.models import Person
from safespaces.places.models import Place


class ActorKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANIZATION = "organization", _("Organization")
    INSTITUTION = "institution", _("Institution")
    GROUP = "group", _("Group")


class Sector(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    POLICE = "police", _("Police and law enforcement")
    JUDICIARY = "judiciary", _("Judiciary")
    PORT_TRANSPORT = "port_transport", _("Port or transport authority")
    EMBASSY = "embassy", _("Embassy or diplomatic")
    INTERNATIONAL = "international", _("International organization")
    NGO = "ngo", _("NGO")
    SURVIVOR_NETWORK = "survivor_network", _("Survivor network")
    BUSINESS = "business", _("Business")
    MEDIA = "media", _("Media")
    COMMUNITY_LEADER = "community_leader", _("Faith or community leader")
    HEALTH = "health", _("Health")
    LEGAL = "legal", _("Legal")
    SHELTER = "shelter", _("Shelter")
    ACADEMIC = "academic", _("Academic")
    FAMILY = "family", _("Family")
    CRIMINAL_NETWORK = "criminal_network", _("Criminal network")
    OTHER = "other", _("Other")


class Stance(models.TextChoices):
    """Ordered as on the map, from the side that opposes the work to the side that supports it."""

    ADVERSARY = "adversary", _("Adversary")
    UNKNOWN = "unknown", _("Unknown")
    NEUTRAL = "neutral", _("Neutral")
    ALLY = "ally", _("Ally")


class Capability(models.TextChoices):
    EMERGENCY_RESPONSE = "emergency_response", _("Emergency response")
    SHELTER = "shelter", _("Shelter")
    LEGAL_AID = "legal_aid", _("Legal aid")
    MEDICAL = "medical", _("Medical")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    POLITICAL_PRESSURE = "political_pressure", _("Political pressure")
    REFERRAL = "referral", _("Referral")
    RELOCATION = "relocation", _("Relocation or visas")
    MEDIA = "media", _("Media")
    DIGITAL_SECURITY = "digital_security", _("Digital security")
    TRAINING = "training", _("Training")
    FUNDING = "funding", _("Funding")


class RelationKind(models.TextChoices):
    # "Close" alone would be read, and translated, as "shut".
    CLOSE = "close", pgettext_lazy("relation between actors", "Close")
    ALLIANCE = "alliance", _("Alliance")
    WEAK = "weak", _("Weak or unknown")
    CONFLICT = "conflict", _("Conflict")
    VIOLENT_CONFLICT = "violent_conflict", _("Violent conflict")
    CONTROL = "control", _("Controls")
    DEPENDENCE = "dependence", _("Depends on")


class EngagementKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    REQUEST = "request", _("Request for help")
    REFERRAL = "referral", _("Referral")
    ALERT = "alert", _("Alert")
    TRAINING = "training", _("Training given")
    JOINT_ACTION = "joint_action", _("Joint action")


class Outcome(models.TextChoices):
    HELPED = "helped", _("Helped")
    PARTLY = "partly", _("Partly helped")
    DECLINED = "declined", _("Declined")
    NO_RESPONSE = "no_response", _("No response")
    PENDING = "pending", _("Pending")


class Actor(VersionedModel):
    """A person, organization, institution or group with an interest in the work.

    Name, contact channels and notes are encrypted. Who sees an actor, and which parts of it, is
    decided in `allies.selectors` and nowhere else: adversaries (a former exploiter is an actor
    too) only coordinators and administrators.
    """

    Kind = ActorKind
    Sector = Sector
    Stance = Stance

    kind = models.CharField(_("kind"), max_length=16, choices=ActorKind.choices)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    stance = models.CharField(_("stance"), max_length=12, choices=Stance.choices)
    power = models.PositiveSmallIntegerField(
        _("power and resources"),
        validators=ONE_TO_FIVE,
        help_text=_("1: little influence on the harm. 5: can stop it or let it flourish."),
    )
    trust = models.PositiveSmallIntegerField(
        _("trust"),
        null=True,
        blank=True,
        validators=ONE_TO_FIVE,
        help_text=_("For allies only. 1: untested. 5: has come through for us in a crisis."),
    )
    name = EncryptedCharField(_("name"), max_length=200)
    contact_person = EncryptedCharField(_("contact person"), max_length=200, blank=True)
    phone = EncryptedCharField(_("phone"), max_length=80, blank=True)
    email = EncryptedCharField(_("email"), max_length=200, blank=True)
    messenger = EncryptedCharField(
        _("secure messenger"),
        max_length=200,
        blank=True,
        help_text=_("The app and the handle, for example Signal +44 7700 900123."),
    )
    address = EncryptedTextField(_("address"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    serves_everywhere = models.BooleanField(
        _("serves every area we work in"),
        default=False,
        help_text=_("A national hotline or an embassy, for example."),
    )
    areas = models.ManyToManyField(
        Place, blank=True, related_name="+", verbose_name=_("areas served")
    )
    in_directory = models.BooleanField(
        _("list in the emergency directory"),
        default=False,
        help_text=_(
            "Allies only. Everyone in the organization then sees their contact channels, so "
            "they can call them in an emergency."
        ),
    )
    last_verified = models.DateField(
        _("contact details last verified on"),
        null=True,
        blank=True,
        help_text=_("When someone last checked that the numbers and names still work."),
    )
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("actor")
        verbose_name_plural = _("actors")
        # The name is ciphertext, so the database cannot sort by it; lists sort in Python.
        ordering = ["stance", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ActorKind.values), name="actor_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(sector__in=Sector.values), name="actor_sector_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(stance__in=Stance.values), name="actor_stance_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(power__gte=1, power__lte=5), name="actor_power_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(trust__isnull=True)
                | models.Q(stance=Stance.ALLY, trust__gte=1, trust__lte=5),
                name="actor_trust_only_for_allies",
            ),
            models.CheckConstraint(
                condition=models.Q(in_directory=False) | models.Q(stance=Stance.ALLY),
                name="actor_directory_only_allies",
            ),
            models.CheckConstraint(
                condition=models.Q(in_directory=False) | models.Q(archived=False),
                name="actor_directory_only_active",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: the admin log and error pages keep str() in clear.
        return f"actor {self.id}"

    @property
    def is_ally(self) -> bool:
        return self.stance == Stance.ALLY


class ActorCapability(CodedModel):
    """What an actor can do for the organization. A row per capability, so the directory and the
    gap finder can ask the database which allies offer what."""

    Capability = Capability

    actor = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="capabilities")
    capability = models.CharField(_("capability"), max_length=24, choices=Capability.choices)

    class Meta:
        ordering = ["capability"]
        constraints = [
            models.UniqueConstraint(fields=["actor", "capability"], name="one_row_per_capability"),
            models.CheckConstraint(
                condition=models.Q(capability__in=Capability.values),
                name="actor_capability_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.capability} of actor {self.actor_id}"


class Relation(CodedModel):
    """How two actors stand to each other, typed as in actor mapping practice."""

    Kind = RelationKind

    source = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="relations_from")
    kind = models.CharField(_("relation"), max_length=20, choices=Kind.choices)
    target = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="relations_to")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=RelationKind.values),
                name="relation_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="relation_not_to_itself"
            ),
            models.UniqueConstraint(
                fields=["source", "kind", "target"], name="one_relation_of_a_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"relation {self.id}"

    @property
    def is_directed(self) -> bool:
        """Control and dependence read one way: the source controls, or depends on, the target."""
        return self.kind in (self.Kind.CONTROL, self.Kind.DEPENDENCE)


class Engagement(VersionedModel):
    """One contact with an actor: a meeting, a request for help, a referral..."""

    Kind = EngagementKind
    Outcome = Outcome

    # Asking something of an ally: these count towards "asked often" and their record.
    ASKING = (EngagementKind.REQUEST, EngagementKind.REFERRAL)

    actor = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="engagements")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    purpose = EncryptedCharField(
        _("purpose"), max_length=300, help_text=_("In a line: what we asked or offered.")
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    response_hours = models.PositiveIntegerField(
        _("response time in hours"),
        null=True,
        blank=True,
        help_text=_("How long until they answered: 1 within the hour, 48 for two days."),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person concerned"),
        help_text=_("Only someone who consented to sharing their information with this actor."),
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [models.Index(fields=["actor", "kind", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EngagementKind.values),
                name="engagement_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=Outcome.values),
                name="engagement_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"engagement {self.id}"


class SharingConsent(CodedModel):
    """A person's consent to share their information with one actor, until withdrawn.

    Kept after withdrawal: a contact recorded after the fact is judged by the consent of its day.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="sharing_consents")
    # An actor someone agreed to share with is archived, never deleted: the consent is history.
    ally = models.ForeignKey(Actor, on_delete=models.PROTECT, related_name="sharing_consents")
    given_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "ally"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="one_active_consent_per_ally",
            ),
        ]

    def __str__(self) -> str:
        return f"sharing consent {self.id}"
