from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allies.models import Actor, Engagement
from safespaces.crypto.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from safespaces.models import ONE_TO_FIVE, CodedModel, VersionedModel, factor_labels
from safespaces.people.models import Person
from safespaces.places.models import Place


class Kind(models.TextChoices):
    THREAT = "threat", _("Threat")
    INCIDENT = "incident", _("Security incident")
    NEAR_MISS = "near_miss", _("Near miss, or not sure")


class Category(models.TextChoices):
    PHYSICAL_HARM = "physical_harm", _("Physical harm")
    FAMILY_FRIENDS = "family_friends", _("Harm to family or friends")
    PSYCHOLOGICAL_HARM = "psychological_harm", _("Psychological harm")
    SURVEILLANCE = "surveillance", _("Surveillance")
    DIGITAL = "digital", _("Digital or data breach")
    LEGAL_HARASSMENT = "legal_harassment", _("Legal or administrative harassment")
    DEFAMATION = "defamation", _("Defamation")
    FORMER_EXPLOITERS = "former_exploiters", _("Contact by former exploiters")
    RECRUITMENT = "recruitment", _("Recruitment attempt")
    INTERNAL_CONFLICT = "internal_conflict", _("Internal conflict")
    OTHER = "other", _("Other")


class Severity(models.IntegerChoices):
    # Plain words first: the number means little to someone who has just been threatened.
    MINOR = 1, _("1 - Minor: no harm done, worth noting")
    LOW = 2, _("2 - Low: unsettling, no lasting harm")
    MODERATE = 3, _("3 - Moderate: someone was harmed or seriously threatened")
    SERIOUS = 4, _("4 - Serious: someone was hurt or is in danger")
    CRITICAL = 5, _("5 - Critical: a life or someone's safety is at risk now")


class Status(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    ACTION_NEEDED = "action_needed", _("Action needed")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")


class Visibility(models.TextChoices):
    TEAM = "team", _("Everyone in the team")
    COORDINATORS = "coordinators", _("Coordinators only (and me)")
    NAMED = "named", _("Only the people I name (and administrators)")


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNSURE = "unsure", _("Not sure")


class EntryKind(models.TextChoices):
    # Written by people.
    NOTE = "note", _("Note")
    ACTION = "action", _("Action taken")
    ALLY_CONTACTED = "ally_contacted", _("Ally contacted")
    EVIDENCE = "evidence", _("Evidence added")
    # Written by the app when someone changes the incident.
    LOGGED = "logged", _("Logged")
    STATUS = "status", _("Status changed")
    SEVERITY = "severity", _("Severity changed")
    VISIBILITY = "visibility", _("Visibility changed")
    REVIEW = "review", _("Team review")
    ASSESSMENT = "assessment", _("Threat assessed")
    WELFARE = "welfare", _("Someone checked in")


class Conclusion(models.TextChoices):
    UNLIKELY = "unlikely", _("Unlikely to be carried out")
    POSSIBLE = "possible", _("Possible")
    LIKELY = "likely", _("Likely")
    IMMINENT = "imminent", _("Imminent")


class Confidence(models.TextChoices):
    # Agrees with the language's word for confidence ("confianza baja"), not a risk level's.
    LOW = "low", pgettext_lazy("confidence", "Low")
    MEDIUM = "medium", pgettext_lazy("confidence", "Medium")
    HIGH = "high", pgettext_lazy("confidence", "High")


class Decision(models.TextChoices):
    NO_ACTION = "no_action", _("No action")
    MEASURES = "measures", _("Take measures")
    REASSESS = "reassess", _("Reassess risks")


# What the patterns read of an incident beside its place, source and date, from their indexes
# alone (incidents.patterns.pattern_candidates).
PATTERN_COLUMNS = ["visibility", "reporter", "id", "reference", "kind", "category", "severity"]


class Incident(VersionedModel):
    """One entry of the incident book: a threat, a security incident, or a near miss.

    Who sees it is decided by `incidents.selectors` from its visibility; outsiders get 404.
    Everything written in words is encrypted; the columns trends count on are not.
    """

    Kind = Kind
    Category = Category
    Severity = Severity
    Status = Status
    Visibility = Visibility

    # Random (see incidents.references): a sequence would tell anyone who sees a few references
    # how many incidents they may not see, and when those were logged.
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    # The numbered reference an incident logged before references were random had, so what was
    # printed or written down with it still finds the incident.
    former_reference = models.CharField(
        _("former reference"), max_length=16, blank=True, editable=False
    )
    kind = models.CharField(_("what happened"), max_length=12, choices=Kind.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    occurred_on = models.DateField(_("date"))
    occurred_time = models.TimeField(_("time"), null=True, blank=True)
    approximate = models.BooleanField(_("the date or time is approximate"), default=False)
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("place"),
    )
    location = EncryptedCharField(
        _("or where, in your words"),
        max_length=200,
        blank=True,
        help_text=_("If it is not one of our places. No home addresses of survivors."),
    )
    summary = EncryptedCharField(
        _("in a few words"), max_length=200, help_text=_("For example: followed after outreach.")
    )
    description = EncryptedTextField(_("what happened, in your words"), blank=True)
    affects_organization = models.BooleanField(_("the organization as a whole"), default=False)
    affected_people = models.ManyToManyField(
        Person, blank=True, related_name="+", verbose_name=_("people affected")
    )
    severity = models.PositiveSmallIntegerField(
        _("how serious"),
        choices=Severity.choices,
        validators=ONE_TO_FIVE,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    visibility = models.CharField(
        _("who may see it"), max_length=16, choices=Visibility.choices, default=Visibility.TEAM
    )
    shared_with = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("people who may see it"),
    )
    welfare_follow_up = models.BooleanField(
        _("I'd like someone to check in with me"), default=False
    )
    welfare_done_at = models.DateTimeField(null=True, blank=True)
    welfare_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Optional, addable later.
    source = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("suspected source"),
        help_text=_("Leave empty if unknown."),
    )
    impact = EncryptedTextField(
        _("impact"), blank=True, help_text=_("Injuries, damage, losses, fear, work stopped.")
    )
    immediate_response = EncryptedTextField(_("what was done straight away"), blank=True)
    reported_to = EncryptedTextField(
        _("who it was reported to"), blank=True, help_text=_("Police, an ally, a lawyer...")
    )
    evidence = EncryptedTextField(
        _("evidence kept"), blank=True, help_text=_("Messages, photos, witnesses. Where it is.")
    )
    factors = EncryptedJSONField(_("gender and intersectional factors"), default=list, blank=True)
    factors_notes = EncryptedTextField(_("how they played a part"), blank=True)
    guidelines_covered = models.CharField(
        _("did our guidelines cover this?"), max_length=8, choices=Answer.choices, blank=True
    )
    guidelines_followed = models.CharField(
        _("were they followed?"), max_length=8, choices=Answer.choices, blank=True
    )
    lessons = EncryptedTextField(_("lessons learned"), blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the team first looked at it (a review, or a status beyond "new"): time to review.
    first_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # True once another incident (anyone's, whatever its visibility) at the same place from the
    # same source lies within incidents.patterns.WINDOW of it: the patterns read only these
    # (pattern_candidates). Kept by database triggers (migration 0008), so every way of writing
    # covers it, bulk_create and queryset.update() too. It may stay True after the other incident
    # moved away or was deleted, which costs only a row read for nothing; it is never False for
    # an incident that has such a neighbour. Derived from incidents the user may not see: never
    # shown, exported or put in a form. The database's default too, for rows written in psql.
    near_another = models.BooleanField(default=False, db_default=False, editable=False)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_on", "-created_at"]
        indexes = [
            # The trends' one pass over a period (incidents.trends.counts_of), from the index
            # alone: every column it groups by or needs to decide visibility is in it.
            models.Index(
                fields=["occurred_on"],
                include=[
                    "visibility",
                    "reporter",
                    "id",
                    "category",
                    "place",
                    "source",
                    "severity",
                    "created_at",
                    "first_reviewed_at",
                ],
                name="incident_trends_idx",
            ),
            models.Index(fields=["visibility", "occurred_on"]),
            # Who may see an incident, from the index alone: counting the timeline of a staff
            # member reads no row of the table (see incidents.selectors.incidents_visible_to).
            models.Index(fields=["visibility", "reporter", "id"], name="incident_visible_idx"),
            # The timeline's order, for pages found from the incident at their edge.
            models.Index(fields=["occurred_on", "created_at", "id"], name="incident_timeline_idx"),
            # The newest incident at a place or from a source since a situation's last
            # assessment: what makes it due (riskassessment.selectors.with_due_flag).
            models.Index(fields=["place", "created_at"], name="incident_place_logged_idx"),
            models.Index(fields=["source", "created_at"], name="incident_source_logged_idx"),
            # Incidents at one place from one source in date order, for the patterns' neighbours
            # (incidents.patterns.pattern_candidates), from the index alone.
            models.Index(
                fields=["place", "source", "occurred_on"],
                include=PATTERN_COLUMNS,
                name="incident_patterns_idx",
            ),
            # The same for the incidents that may have a neighbour (near_another), which are all
            # the patterns read: a few in a hundred, in their own small index.
            models.Index(
                fields=["place", "source", "occurred_on"],
                include=PATTERN_COLUMNS,
                condition=models.Q(near_another=True),
                name="incident_patterns_near_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["former_reference"],
                condition=~models.Q(former_reference=""),
                name="incident_former_reference_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="incident_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=[*Category.values, ""]),
                name="incident_category_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(severity__gte=1, severity__lte=5),
                name="incident_severity_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="incident_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(visibility__in=Visibility.values),
                name="incident_visibility_valid",
            ),
        ]

    def __str__(self) -> str:
        # The reference only: the summary is encrypted and str() is kept in clear.
        return self.reference or f"incident {self.id}"

    @property
    def is_threat(self) -> bool:
        return self.kind == Kind.THREAT

    @property
    def welfare_pending(self) -> bool:
        return self.welfare_follow_up and self.welfare_done_at is None

    @property
    def factor_labels(self) -> list[str]:
        return factor_labels(self.factors)


# The choices whose codes an automatic entry records, by entry kind.
CHANGE_LABELS: dict[str, type[models.Choices]] = {
    EntryKind.STATUS: Status,
    EntryKind.SEVERITY: Severity,
    EntryKind.VISIBILITY: Visibility,
    EntryKind.REVIEW: Decision,
    EntryKind.ASSESSMENT: Conclusion,
}


class TimelineEntry(CodedModel):
    """One line of an incident's timeline. Never edited or deleted: a correction is a new entry
    that points at the one it corrects."""

    Kind = EntryKind
    WRITTEN = (EntryKind.NOTE, EntryKind.ACTION, EntryKind.ALLY_CONTACTED, EntryKind.EVIDENCE)

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    body = EncryptedTextField(_("what to add"), blank=True)
    # For automatic entries: the codes before and after (a status, a severity), never free text.
    old_value = models.CharField(max_length=16, blank=True)
    new_value = models.CharField(max_length=16, blank=True)
    # RESTRICT, not PROTECT: entries go only with their incident, all together.
    corrects = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    engagement = models.ForeignKey(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("engagement"),
    )
    attachment = models.ForeignKey(
        "Attachment", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=EntryKind.values), name="entry_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"timeline entry {self.id}"

    @property
    def is_written(self) -> bool:
        return self.kind in self.WRITTEN

    @property
    def old_shown(self) -> str:
        return self._shown(self.old_value)

    @property
    def new_shown(self) -> str:
        return self._shown(self.new_value)

    def _shown(self, value: str) -> str:
        """The label of a recorded status, severity or visibility code."""
        choices = CHANGE_LABELS.get(self.kind)
        labels = {str(code): label for code, label in choices.choices} if choices else {}
        return str(labels.get(value, value))


class Attachment(CodedModel):
    """A photo, document or recording kept as evidence.

    The file is encrypted in memory, before it touches disk, with a key of its own; that key is
    sealed in `file_key` like any other encrypted field, so key rotation re-seals the key and
    never has to rewrite the file. Served only through the authorised, audited download view.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments")
    file_name = EncryptedCharField(_("file name"), max_length=255)
    file_key = EncryptedCharField(max_length=64, editable=False)
    # A random name in storage: it says nothing about the incident or the file.
    stored_as = models.CharField(max_length=100, unique=True, editable=False)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"attachment {self.id}"


class ThreatAssessment(VersionedModel):
    """The five steps of assessing a threat, in order: facts, pattern, objective, who is behind
    it (only after the first three), and whether it can be carried out."""

    Conclusion = Conclusion
    Confidence = Confidence

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="assessment")
    facts = EncryptedTextField(
        _("1. The facts"), help_text=_("What exactly happened, as far as we know it.")
    )
    linked_incidents = models.ManyToManyField(
        Incident, blank=True, related_name="+", verbose_name=_("2. Related incidents")
    )
    pattern = EncryptedTextField(
        _("2. The pattern"),
        blank=True,
        help_text=_("The same means, timing, symbols, wording or people as before?"),
    )
    objective = EncryptedTextField(
        _("3. The objective"),
        blank=True,
        help_text=_(
            "What does the threat want to achieve? Usually linked to the impact of our work."
        ),
    )
    actor = models.ForeignKey(
        Actor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("4. Who is behind it"),
    )
    confidence = models.CharField(
        _("how sure are we?"), max_length=8, choices=Confidence.choices, blank=True
    )
    reasoning = EncryptedTextField(
        _("why we think so"),
        blank=True,
        help_text=_(
            "Which part of the actor, exactly. Even a signed threat can be false: ask why they "
            "threatened instead of acting."
        ),
    )
    conclusion = models.CharField(
        _("5. Can the threat be carried out?"), max_length=10, choices=Conclusion.choices
    )
    rationale = EncryptedTextField(_("why"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("threat assessment")
        verbose_name_plural = _("threat assessments")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(conclusion__in=Conclusion.values),
                name="assessment_conclusion_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"threat assessment {self.id}"


class Review(CodedModel):
    """The team looked at the incident together and decided what to do."""

    Decision = Decision

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reviews")
    held_on = models.DateField(_("date of the review"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("who took part")
    )
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    measures = EncryptedTextField(
        _("measures taken or agreed"), blank=True, help_text=_("Who does what, by when.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-held_on", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=Decision.values), name="review_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"review {self.id}"


# --- What changed in which month: the trends' kept counts rest on it ---------------------------


class MonthChange(CodedModel):
    """One incident written (added, changed or removed) that occurred in `month`.

    Database triggers add these rows in the writer's own transaction (migration 0009), so every
    way of writing an incident counts, bulk and raw updates included, and a row is seen exactly
    when the change it stands for is. Writers only add rows: none waits on another. The worker
    folds them into MonthRevision (incidents.monthly.month_changes_fold).
    """

    month = models.DateField(db_index=True)  # the first day of the month

    def __str__(self) -> str:
        return f"change {self.id}"


class MonthRevision(models.Model):
    """How many MonthChange rows of `month` have been folded into one figure. A month's revision
    (this, plus its rows not folded yet) grows with every committed change to its incidents and
    never repeats, so counts kept under one revision are the month's counts at that revision."""

    month = models.DateField(primary_key=True)
    folded = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"revision {self.folded} of {self.month:%Y-%m}"
