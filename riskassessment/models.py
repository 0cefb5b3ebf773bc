from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allies.models import Actor
from incidents.models import Incident
from riskassessment.scoring import Level, Ratings, threat_level
from safespaces.crypto.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from safespaces.models import ONE_TO_FIVE, CodedModel, VersionedModel, factor_labels
from safespaces.people.models import Person
from safespaces.places.models import Place


class SituationKind(models.TextChoices):
    OUTREACH = "outreach", _("Outreach to people in exploitation")
    ADVOCACY = "advocacy", _("Public advocacy or event")
    MEDIA = "media", _("Media intervention")
    COURT = "court", _("Court or legal accompaniment")
    TRAVEL = "travel", _("Travel")
    PREMISES = "premises", _("Shelter or office operations")
    ONLINE = "online", _("Online activity")
    ORGANIZATIONAL = "organizational", _("Organizational risk")


class SituationStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    CLOSED = "closed", _("Closed")


class Trigger(models.TextChoices):
    DESIGN = "design", _("Project design")
    BEFORE = "before", _("Before the activity")
    AFTER_INCIDENT = "after_incident", _("After a threat or incident")
    PERIODIC = "periodic", _("Periodic review")


class Category(models.TextChoices):
    """What a vulnerability or a capacity is about: the two sides of one coin share them."""

    INFORMATION = "information", _("Information")
    PHYSICAL = "physical", _("Physical")
    COMMUNICATION = "communication", _("Communication")
    LEGAL = "legal", _("Legal")
    ALLIES = "allies", _("Allies and networks")
    TRAINING = "training", _("Training")
    WELLBEING = "wellbeing", _("Well-being")
    RESOURCES = "resources", _("Resources")


class Decision(models.TextChoices):
    GO = "go", _("Go")
    GO_WITH_MEASURES = "go_with_measures", _("Go with measures")
    CHANGE = "change", _("Change the approach")
    POSTPONE = "postpone", _("Postpone")
    CANCEL = "cancel", _("Cancel")


class MeasureKind(models.TextChoices):
    # In the order the method puts them against a credible threat: act on the threat first.
    REDUCE_THREAT = "reduce_threat", _("Reduce the threat")
    MOBILIZE_ALLIES = "mobilize_allies", _("Mobilize allies")
    REDUCE_VULNERABILITY = "reduce_vulnerability", _("Reduce a vulnerability")
    BUILD_CAPACITY = "build_capacity", _("Build a capacity")


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    # A state of a measure ("medida hecha"), not the "Done" of a button ("Listo").
    DONE = "done", pgettext_lazy("measure status", "Done")
    DROPPED = "dropped", _("Dropped")


# Decisions that take the risk on.
GOING_AHEAD = (Decision.GO, Decision.GO_WITH_MEASURES, Decision.CHANGE)


def _choice(field: str, choices: type[models.Choices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


def _rating(field: str, name: str, *, optional: bool = False) -> models.CheckConstraint:
    in_range = models.Q(**{f"{field}__gte": 1, f"{field}__lte": 5})
    if optional:
        in_range |= models.Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=in_range, name=name)


class RiskSituation(VersionedModel):
    """A concrete activity or exposure: what, where, when and with whom. Standing organizational
    risks (burnout, data security...) are situations too.

    Its assessments are versions over time; the latest one counts. Whether it is due for
    reassessment is derived by `riskassessment.selectors`, never stored.
    """

    Kind = SituationKind
    Status = SituationStatus

    kind = models.CharField(_("kind"), max_length=16, choices=SituationKind.choices)
    title = EncryptedCharField(
        _("title"), max_length=200, help_text=_("For example: Thursday night outreach.")
    )
    objective = EncryptedTextField(
        _("the work objective"),
        help_text=_("What the activity is for. The risk is weighed against it."),
    )
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place"),
    )
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="risk_situations",
        verbose_name=_("staff taking part"),
    )
    people = models.ManyToManyField(
        Person,
        blank=True,
        related_name="risk_situations",
        verbose_name=_("people involved (by alias)"),
    )
    incidents = models.ManyToManyField(
        Incident,
        blank=True,
        related_name="+",
        verbose_name=_("related incidents"),
        help_text=_("A newer incident linked here makes the situation due for reassessment."),
    )
    # The safety plan's check-in arrangements.
    check_in_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who they check in with"),
    )
    check_in_when = EncryptedTextField(
        _("when they check in"),
        blank=True,
        help_text=_("For example: on arrival, every two hours, and when everyone is home."),
    )
    check_in_missed = EncryptedTextField(
        _("if a check-in is missed"),
        blank=True,
        help_text=_("Who calls whom, after how long, and who is alerted next."),
    )
    # How long after a missed check-in time the watchers are alerted: a bus running late is not
    # an emergency, but the team must not wait long either.
    check_in_grace_minutes = models.PositiveSmallIntegerField(
        _("alert the watchers this long after a missed check-in (minutes)"),
        default=10,
        validators=[MaxValueValidator(120)],
    )
    review_every_months = models.PositiveSmallIntegerField(
        _("reassess at least every (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SituationStatus.choices, default=SituationStatus.CURRENT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk situation")
        verbose_name_plural = _("risk situations")
        ordering = ["-created_at"]
        constraints = [
            _choice("kind", SituationKind, "situation_kind_valid"),
            _choice("status", SituationStatus, "situation_status_valid"),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="situation_ends_after_start",
                violation_error_message=_("The end comes before the start."),
            ),
        ]

    def __str__(self) -> str:
        # Never the title: str() is kept in clear by the admin log and error pages.
        return f"risk situation {self.id}"


class Assessment(VersionedModel):
    """One version of a situation's assessment. The latest counts; the earlier ones stay as the
    record of how the risk moved.

    The levels are worked out by `riskassessment.scoring` and kept here, by `services`, so the
    register can filter and sort by them in the database.
    """

    Trigger = Trigger
    Decision = Decision

    situation = models.ForeignKey(
        RiskSituation, on_delete=models.CASCADE, related_name="assessments"
    )
    number = models.PositiveSmallIntegerField(_("version"), editable=False)
    trigger = models.CharField(_("why now"), max_length=16, choices=Trigger.choices)
    linked_incidents = models.ManyToManyField(
        Incident, blank=True, related_name="+", verbose_name=_("incidents that led to it")
    )
    lens_notes = EncryptedTextField(
        _("how gender and identity change these risks"),
        blank=True,
        help_text=_(
            "Who is more exposed because of their gender, age, status or identity, and how."
        ),
    )
    # The assessors' ratings, 1-5, beside the lists that inform them.
    threat = models.PositiveSmallIntegerField(
        _("threat"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    vulnerability = models.PositiveSmallIntegerField(
        _("vulnerability"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    capacity = models.PositiveSmallIntegerField(
        _("capacity"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    residual_threat = models.PositiveSmallIntegerField(
        _("threat after the measures"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    residual_vulnerability = models.PositiveSmallIntegerField(
        _("vulnerability after the measures"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    residual_capacity = models.PositiveSmallIntegerField(
        _("capacity after the measures"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    inherent_level = models.PositiveSmallIntegerField(
        choices=Level.choices, null=True, blank=True, editable=False
    )
    residual_level = models.PositiveSmallIntegerField(
        choices=Level.choices, null=True, blank=True, editable=False
    )
    decision = models.CharField(
        _("is this risk worth the objective?"),
        max_length=16,
        choices=Decision.choices,
        blank=True,
    )
    rationale = EncryptedTextField(_("why"), blank=True)
    valid_until = models.DateField(
        _("the decision holds until"),
        null=True,
        blank=True,
        help_text=_("After this date the situation is due for reassessment."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["situation", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["situation", "number"], name="one_assessment_per_version"
            ),
            _choice("trigger", Trigger, "assessment_trigger_valid"),
            models.CheckConstraint(
                condition=models.Q(decision__in=[*Decision.values, ""]),
                name="assessment_decision_valid",
            ),
            _rating("threat", "assessment_threat_1_to_5", optional=True),
            _rating("vulnerability", "assessment_vulnerability_1_to_5", optional=True),
            _rating("capacity", "assessment_capacity_1_to_5", optional=True),
            _rating("residual_threat", "assessment_residual_threat_1_to_5", optional=True),
            _rating(
                "residual_vulnerability",
                "assessment_residual_vulnerability_1_to_5",
                optional=True,
            ),
            _rating("residual_capacity", "assessment_residual_capacity_1_to_5", optional=True),
            # The four-eyes rule, as far as a row can keep it: nobody approves their own decision.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("decided_by")),
                name="assessment_approver_is_not_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"assessment {self.id}"

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    @property
    def inherent(self) -> Ratings | None:
        if None in (self.threat, self.vulnerability, self.capacity):
            return None
        return Ratings(self.threat, self.vulnerability, self.capacity)  # type: ignore[arg-type]

    @property
    def residual(self) -> Ratings | None:
        """After the measures; as before them if nobody re-rated."""
        values = (self.residual_threat, self.residual_vulnerability, self.residual_capacity)
        if None in values:
            return self.inherent
        return Ratings(*values)  # type: ignore[arg-type]

    @property
    def residual_is_rated(self) -> bool:
        return None not in (
            self.residual_threat,
            self.residual_vulnerability,
            self.residual_capacity,
        )

    @property
    def needs_approval(self) -> bool:
        """Going ahead with a high or critical residual risk needs a second pair of eyes.
        Postponing or cancelling takes no risk on, so it needs none."""
        return (
            self.decision in GOING_AHEAD
            and self.residual_level is not None
            and self.residual_level >= Level.HIGH
        )

    @property
    def has_expired(self) -> bool:
        """The decision's validity date has passed: it needs a reassessment."""
        return self.valid_until is not None and self.valid_until < timezone.localdate()

    @property
    def awaits_approval(self) -> bool:
        return self.needs_approval and self.approved_by_id is None


class Item(CodedModel):
    """What threats, vulnerabilities and capacities share: words, and the gender and
    intersectional factors that shape them."""

    position = models.PositiveSmallIntegerField(default=0, editable=False)
    description = EncryptedTextField(_("description"))
    factors = EncryptedJSONField(
        _("gender and intersectional factors"),
        default=list,
        blank=True,
        help_text=_("Does gender, age, status or identity make this stronger or weaker?"),
    )

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    @property
    def factor_labels(self) -> list[str]:
        return factor_labels(self.factors)


class Threat(Item):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="threats")
    source = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("source"),
        help_text=_("Leave empty if unknown."),
    )
    likelihood = models.PositiveSmallIntegerField(_("likelihood"), validators=ONE_TO_FIVE)
    impact = models.PositiveSmallIntegerField(_("impact"), validators=ONE_TO_FIVE)
    residual_likelihood = models.PositiveSmallIntegerField(
        _("likelihood after the measures"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    residual_impact = models.PositiveSmallIntegerField(
        _("impact after the measures"), null=True, blank=True, validators=ONE_TO_FIVE
    )
    linked_incidents = models.ManyToManyField(
        Incident, blank=True, related_name="+", verbose_name=_("linked incidents")
    )

    class Meta(Item.Meta):
        verbose_name = _("threat")
        verbose_name_plural = _("threats")
        constraints = [
            _rating("likelihood", "threat_likelihood_1_to_5"),
            _rating("impact", "threat_impact_1_to_5"),
            _rating("residual_likelihood", "threat_residual_likelihood_1_to_5", optional=True),
            _rating("residual_impact", "threat_residual_impact_1_to_5", optional=True),
        ]

    def __str__(self) -> str:
        return f"threat {self.id}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def level(self) -> Level:
        return threat_level(self.likelihood, self.impact)

    @property
    def residual_is_rated(self) -> bool:
        return self.residual_likelihood is not None and self.residual_impact is not None

    @property
    def residual_score(self) -> int:
        if not self.residual_is_rated:
            return self.score
        return self.residual_likelihood * self.residual_impact  # type: ignore[operator]

    @property
    def residual_level(self) -> Level:
        if not self.residual_is_rated:
            return self.level
        return threat_level(self.residual_likelihood, self.residual_impact)  # type: ignore[arg-type]


class Vulnerability(Item):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="vulnerabilities"
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    level = models.PositiveSmallIntegerField(
        _("how serious"), validators=ONE_TO_FIVE, help_text=_("1: slight. 5: severe.")
    )

    class Meta(Item.Meta):
        verbose_name = _("vulnerability")
        verbose_name_plural = _("vulnerabilities")
        constraints = [
            _choice("category", Category, "vulnerability_category_valid"),
            _rating("level", "vulnerability_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"vulnerability {self.id}"


class Capacity(Item):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="capacities")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    level = models.PositiveSmallIntegerField(
        _("how strong"), validators=ONE_TO_FIVE, help_text=_("1: slight. 5: strong.")
    )
    # Two sides of one coin: no phone is a vulnerability, a phone and a check-in routine the
    # capacity that answers it.
    answers = models.ForeignKey(
        Vulnerability,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_by",
        verbose_name=_("answers the vulnerability"),
    )

    class Meta(Item.Meta):
        verbose_name = _("capacity")
        verbose_name_plural = _("capacities")
        constraints = [
            _choice("category", Category, "capacity_category_valid"),
            _rating("level", "capacity_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"capacity {self.id}"


class Alternative(CodedModel):
    """Another way to reach the same objective, weighed when deciding."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="alternatives"
    )
    description = EncryptedTextField(_("another way to reach the objective"))
    level = models.PositiveSmallIntegerField(_("its estimated risk"), choices=Level.choices)

    class Meta:
        verbose_name = _("alternative")
        verbose_name_plural = _("alternatives")
        ordering = ["level", "id"]
        constraints = [_choice("level", Level, "alternative_level_valid")]

    def __str__(self) -> str:
        return f"alternative {self.id}"


class Measure(VersionedModel):
    """Something someone will do to lower the risk, by a date. It belongs to the situation, so
    it carries over from one assessment to the next."""

    Kind = MeasureKind
    Status = MeasureStatus
    OPEN = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)

    situation = models.ForeignKey(RiskSituation, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("kind"), max_length=24, choices=MeasureKind.choices)
    description = EncryptedTextField(_("what will be done"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who does it"),
    )
    due_on = models.DateField(_("by"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED
    )
    ally = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ally"),
    )
    threat = models.ForeignKey(
        Threat,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("acts on the threat"),
    )
    vulnerability = models.ForeignKey(
        Vulnerability,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measures",
        verbose_name=_("acts on the vulnerability"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["due_on", "created_at"]
        indexes = [models.Index(fields=["owner", "status", "due_on"])]
        constraints = [
            _choice("kind", MeasureKind, "measure_kind_valid"),
            _choice("status", MeasureStatus, "measure_status_valid"),
        ]

    def __str__(self) -> str:
        return f"measure {self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_on is not None and self.due_on < timezone.localdate()
