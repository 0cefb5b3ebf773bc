from datetime import date, time
from typing import Any
from uuid import UUID

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allies.forms import ActorChoiceField
from allies.models import Actor, Engagement
from allies.selectors import (
    actors_for_picking,
    actors_visible_to,
    engagement_label,
    engagement_matches,
    recent_engagements,
)
from incidents.attachments import (
    ACCEPT,
    EMPTY,
    TOO_LARGE,
    CheckedFile,
    Refused,
    check_upload,
    limit_mb,
)
from incidents.models import (
    Category,
    Decision,
    EntryKind,
    Incident,
    Kind,
    Review,
    Severity,
    Status,
    ThreatAssessment,
    TimelineEntry,
    Visibility,
)
from incidents.references import reference_is
from incidents.selectors import PatternSuggestion, incidents_visible_to, links_of
from safespaces.accounts.forms import (
    UserMultipleChoiceField,
    team_members,
    use_colleague_picker,
)
from safespaces.accounts.models import User
from safespaces.editing import VersionedModelForm
from safespaces.forms import FieldGroups, Legend, field_of, without_blank_choice
from safespaces.models import Factor
from safespaces.people.forms import PersonMultipleChoiceField, people_for_picking
from safespaces.pickers import FILTER_FIND, Matches, PickerField, is_searching, use_picker
from safespaces.places.forms import PlaceChoiceField, use_place_picker
from safespaces.places.models import Place
from safespaces.places.selectors import places_for_picking


def _colleagues(*, but: UUID) -> QuerySet[User]:
    """Everyone with a role except the reporter, who always sees their own incident."""
    return team_members().exclude(pk=but)


def _this_minute() -> time:
    return timezone.localtime().time().replace(second=0, microsecond=0)


class EngagementChoiceField(PickerField):
    """A recent contact with an ally, by date, ally and kind of contact. Given a picker
    (`use_picker`), found by any of them."""

    def label_from_instance(self, obj: Engagement) -> str:
        return engagement_label(obj.date, obj.actor.name, obj.kind)

    def matches(self, query: str) -> Matches:
        return engagement_matches(self.offered(), query)


class KindChoice(forms.RadioSelect):
    """The three kinds side by side, as buttons that wrap: a phone shows them in two rows."""

    template_name = "incidents/widgets/kind.html"


# The words of each severity on the scale: the full label (Severity) stays every button's name
# for screen readers; sighted people see the number and its word, and the meaning of their choice.
# The words agree with the language's word for severity ("gravedad moderada"), not a risk level's.
SEVERITY_WORDS: dict[int, tuple[Legend, Legend]] = {
    Severity.MINOR: (pgettext_lazy("severity", "Minor"), _("No harm done, worth noting.")),
    Severity.LOW: (pgettext_lazy("severity", "Low"), _("Unsettling, no lasting harm.")),
    Severity.MODERATE: (
        pgettext_lazy("severity", "Moderate"),
        _("Someone was harmed or seriously threatened."),
    ),
    Severity.SERIOUS: (
        pgettext_lazy("severity", "Serious"),
        _("Someone was hurt or is in danger."),
    ),
    Severity.CRITICAL: (
        pgettext_lazy("severity", "Critical"),
        _("A life or someone's safety is at risk now."),
    ),
}


class SeverityScale(forms.RadioSelect):
    """How serious, as one row of five numbered buttons: five radios with their sentences took
    a third of a phone's screen, and a tired thumb had to scroll past them to Send."""

    template_name = "incidents/widgets/severity.html"

    def create_option(
        self,
        name: str,
        value: Any,
        label: int | str,
        selected: bool,
        index: int,
        subindex: int | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        word, meaning = SEVERITY_WORDS.get(int(value), (str(label), ""))
        return option | {"word": word, "meaning": meaning}


class IncidentForm(VersionedModelForm):
    """The incident book's entry: a short part that can be sent in under a minute (what, when,
    in a few words, how serious), and the rest, folded, which can be added now or later."""

    # The quick part (kind, occurred_on, occurred_time, approximate, summary, severity) is laid
    # out by the template; these are folded under "More details".
    MORE: list[tuple[Legend, list[str]]] = [
        (_("In your words"), ["description"]),
        (_("Where"), ["place", "location"]),
        (_("Who was affected"), ["affected_people", "affects_organization"]),
        (_("Sharing and support"), ["visibility", "shared_with", "welfare_follow_up"]),
        (_("Category and source"), ["category", "source"]),
        (
            _("Impact and response"),
            ["impact", "immediate_response", "reported_to", "evidence"],
        ),
        (_("Gender and intersectional lens"), ["factors", "factors_notes"]),
        (
            _("What we learn from it"),
            ["guidelines_covered", "guidelines_followed", "lessons"],
        ),
    ]

    affected_people = PersonMultipleChoiceField(
        label=_("People affected"),
        required=False,
        help_text=_("By alias. Leave empty if no one in particular."),
    )
    shared_with = UserMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("The people you name"),
        required=False,
        help_text=_("Only if you chose “Only the people I name”."),
    )
    factors = forms.MultipleChoiceField(
        label=_("Did any of these play a part?"),
        choices=Factor.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Incident
        fields = [
            "kind",
            "occurred_on",
            "occurred_time",
            "approximate",
            "place",
            "location",
            "summary",
            "description",
            "affected_people",
            "affects_organization",
            "severity",
            "visibility",
            "shared_with",
            "welfare_follow_up",
            "category",
            "source",
            "impact",
            "immediate_response",
            "reported_to",
            "evidence",
            "factors",
            "factors_notes",
            "guidelines_covered",
            "guidelines_followed",
            "lessons",
        ]
        field_classes = {"place": PlaceChoiceField, "source": ActorChoiceField}
        widgets = {
            "kind": KindChoice,
            "category": forms.RadioSelect,
            "occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "occurred_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 4}),
            "severity": SeverityScale,
            "visibility": forms.RadioSelect,
            "impact": forms.Textarea(attrs={"rows": 3}),
            "immediate_response": forms.Textarea(attrs={"rows": 3}),
            "reported_to": forms.Textarea(attrs={"rows": 2}),
            "evidence": forms.Textarea(attrs={"rows": 2}),
            "factors_notes": forms.Textarea(attrs={"rows": 2}),
            "guidelines_covered": forms.RadioSelect,
            "guidelines_followed": forms.RadioSelect,
            "lessons": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"approximate": _("Approximate date or time")}
        help_texts = {
            "kind": _(
                "A threat: someone said or showed they want to harm us. A security incident: "
                "anything that affected, or could have affected, someone's safety, our own "
                "mistakes included. Not sure? Log it anyway."
            ),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].initial = timezone.localdate
        # Now, to the minute: most incidents are logged soon after; "approximate" is one tap.
        self.fields["occurred_time"].initial = _this_minute
        place = field_of(self, "place", PlaceChoiceField)
        place.required = False
        place.empty_label = _("Not one of our places, or not sure")
        reporter = self.instance.reporter_id or user.pk
        shared_with = field_of(self, "shared_with", UserMultipleChoiceField)
        shared_with.queryset = _colleagues(but=reporter)
        use_colleague_picker(shared_with)
        shared_with.widget.attrs["data-show-when"] = f"visibility={Visibility.NAMED}"
        self._keep_current_choices(user)
        self._search_instead_of_listing()
        without_blank_choice(
            self, "kind", "severity", "category", "guidelines_covered", "guidelines_followed"
        )
        self.fields["kind"].label = _("What was it?")

    def _keep_current_choices(self, user: User) -> None:
        """Offer what the incident already holds even if it is no longer offered for new reports
        (an archived place or person), so saving an edit never drops it unseen."""
        incident = self.instance
        place = field_of(self, "place", PlaceChoiceField)
        place.queryset = places_for_picking() | Place.objects.filter(pk=incident.place_id)
        # Not `incident.pk`: the UUID primary key is set before the incident is first saved.
        if not incident._state.adding:
            people = field_of(self, "affected_people", PersonMultipleChoiceField)
            people.queryset = people_for_picking(keeping=incident.affected_people.all())
        # Staff pick among the allies they can see; coordinators attribute adversaries too.
        visible = actors_visible_to(user)
        if incident.source_id and not visible.filter(pk=incident.source_id).exists():
            # A source this editor may not see stays as it is, unshown.
            del self.fields["source"]
            return
        source = field_of(self, "source", ActorChoiceField)
        source.queryset = visible.filter(Q(archived=False) | Q(pk=incident.source_id)).only(
            "id", "name", "stance"
        )
        source.empty_label = pgettext_lazy("suspected source", "Unknown")

    def _search_instead_of_listing(self) -> None:
        """Places, people and actors are found by typing, never listed: an organization may have
        thousands, and each name listed would be decrypted on every page (safespaces.pickers).
        Only what the incident names is shown, and what a search finds."""
        place = field_of(self, "place", PlaceChoiceField)
        use_place_picker(place)
        people = field_of(self, "affected_people", PersonMultipleChoiceField)
        use_picker(
            people,
            url=reverse("people:pick"),
            search_label=_("Find someone: type part of the alias"),
        )
        if "source" in self.fields:
            source = field_of(self, "source", ActorChoiceField)
            use_picker(
                source,
                url=reverse("allies:pick"),
                search_label=_("Find an actor: type part of the name"),
                empty_label=source.empty_label,
            )

    @classmethod
    def from_draft(cls, data: dict[str, list[str]], *, user: User) -> "IncidentForm":
        """An unbound form showing what was kept, so nothing is marked wrong before a send."""
        form = cls(user=user)
        multiple = (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)
        for name, values in data.items():
            if name in form.fields:
                is_multiple = isinstance(form.fields[name], multiple)
                form.initial[name] = values if is_multiple else values[-1]
        return form

    def more_groups(self) -> FieldGroups:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.MORE
        ]

    @property
    def more_shows_something(self) -> bool:
        """Whether a folded field has an error, holds anything but its default (typed, kept
        from a draft or filled in from a check-in) or shows a search's matches: the fold then
        opens, so nothing is hidden."""
        return any(
            self.errors.get(field.name) or self._holds_a_value(field) or is_searching(field.field)
            for _legend, fields in self.more_groups()
            for field in fields
        )

    def _holds_a_value(self, bound: forms.BoundField) -> bool:
        default = bound.field.initial() if callable(bound.field.initial) else bound.field.initial
        return bound.field.has_changed(default, bound.value())

    def clean_occurred_on(self) -> date | None:
        occurred = self.cleaned_data["occurred_on"]
        if occurred and occurred > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return occurred

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        now = timezone.localtime()
        at = cleaned.get("occurred_time")
        if cleaned.get("occurred_on") == now.date() and at and at > now.time():
            self.add_error(
                "occurred_time",
                _("The time cannot be later than now (%(now)s).") % {"now": now.strftime("%H:%M")},
            )
        if cleaned.get("visibility") != Visibility.NAMED:
            # Names left over from an earlier choice would otherwise keep their access.
            cleaned["shared_with"] = []
        return cleaned


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class EntryForm(forms.ModelForm):
    """A line people add to the timeline. Evidence comes with an upload, the automatic kinds
    from the app."""

    class Meta:
        model = TimelineEntry
        fields = ["kind", "body", "engagement"]
        field_classes = {"engagement": EngagementChoiceField}
        widgets = {"kind": forms.RadioSelect, "body": forms.Textarea(attrs={"rows": 3})}
        labels = {"engagement": _("The contact, if it is recorded with the ally")}

    def __init__(self, *args: Any, with_engagements: bool, action: str = "", **kwargs: Any) -> None:
        """`with_engagements`: whether the user may link a recorded contact (see
        incidents.selectors.IncidentAccess). `action`: where the form is sent, when another
        page than its own shows it (the incident's), for a plain "Find"."""
        super().__init__(*args, **kwargs)
        written = (EntryKind.NOTE, EntryKind.ACTION, EntryKind.ALLY_CONTACTED)
        kind = field_of(self, "kind", forms.ChoiceField)
        kind.choices = [(entry.value, entry.label) for entry in written]
        kind.initial = EntryKind.NOTE
        self.fields["body"].required = True
        if with_engagements:
            engagement = field_of(self, "engagement", EngagementChoiceField)
            engagement.queryset = recent_engagements()
            # Found by typing, never listed (see safespaces.pickers).
            use_picker(
                engagement,
                url=reverse("allies:pick_engagement"),
                search_label=_("Find the contact: type part of the ally's name, or the date"),
                find_action=action,
            )
        else:
            # Engagements are coordinators' records; staff say in words whom they called.
            del self.fields["engagement"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("engagement") and cleaned.get("kind") != EntryKind.ALLY_CONTACTED:
            self.add_error("engagement", _("Link a contact only to an “Ally contacted” entry."))
        return cleaned


class CorrectionForm(forms.Form):
    body = forms.CharField(
        label=_("The correction"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The entry stays as it was; this one is shown with it."),
    )


# Dates a filter accepts. Without bounds, year 1 made the trends count some 24,000 months (a
# worker busy for 30 seconds), and year 9999 overflowed the calendar (a 500).
FILTER_EARLIEST = date(1900, 1, 1)


def _within_filter_bounds(day: date | None) -> date | None:
    latest = date(timezone.localdate().year + 1, 12, 31)
    if day is not None and not FILTER_EARLIEST <= day <= latest:
        raise forms.ValidationError(
            _("Choose a date between %(earliest)s and %(latest)s."),
            params={
                "earliest": formats.date_format(FILTER_EARLIEST, "j F Y"),
                "latest": formats.date_format(latest, "j F Y"),
            },
        )
    return day


class IncidentFilterForm(forms.Form):
    """Filters of the timeline, the trends and the export. Only a reference, closed lists and
    dates: nothing sensitive lands in the address bar (a place or an actor is named by its random
    code)."""

    reference = forms.CharField(
        label=_("Reference"),
        max_length=20,
        required=False,
        help_text=_("Such as INC-7KQ2XM, or the numbered reference of an older incident."),
    )
    kind = forms.ChoiceField(
        label=_("What happened"), choices=[("", _("Anything")), *Kind.choices], required=False
    )
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All categories")), *Category.choices], required=False
    )
    severity = forms.TypedChoiceField(
        label=_("How serious"),
        choices=[("", _("Any")), *[(s.value, s.label) for s in Severity]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Status.choices], required=False
    )
    place = PlaceChoiceField(label=_("Place"), required=False, empty_label=_("All places"))
    source = ActorChoiceField(
        queryset=Actor.objects.none(),
        label=_("Suspected source"),
        required=False,
        empty_label=_("Any source"),
    )
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args: Any, user: User, max_months: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        source = field_of(self, "source", ActorChoiceField)
        source.queryset = actors_for_picking(user)
        # Found by typing, never listed (see safespaces.pickers): the filter shows the place and
        # the source chosen, and what a search finds.
        place = field_of(self, "place", PlaceChoiceField)
        use_place_picker(place, find_form=FILTER_FIND)
        use_picker(
            source,
            url=reverse("allies:pick"),
            search_label=_("Find an actor: type part of the name"),
            empty_label=source.empty_label,
            find_form=FILTER_FIND,
        )
        # The longest period a page can show, in months (the trends draw one column a month).
        self.max_months = max_months

    def clean_since(self) -> date | None:
        return _within_filter_bounds(self.cleaned_data["since"])

    def clean_until(self) -> date | None:
        return _within_filter_bounds(self.cleaned_data["until"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if self.max_months and since:
            # An empty "until" means today (see incidents.trends.period_between).
            last = until or max(since, timezone.localdate())
            months = (last.year - since.year) * 12 + last.month - since.month + 1
            if months > self.max_months:
                self.add_error(
                    "since",
                    _("Choose a period of at most %(years)d years.")
                    % {"years": self.max_months // 12},
                )
        return cleaned

    def filter(self, incidents: QuerySet[Incident], *, dates: bool = True) -> QuerySet[Incident]:
        """`incidents` narrowed by the filters chosen; by the dates too unless told not to (the
        trends apply the dates themselves, as a period)."""
        if not self.is_valid():
            return incidents
        exact = {
            name: self.cleaned_data[name]
            for name in ("kind", "category", "severity", "status", "place", "source")
            if self.cleaned_data[name] not in ("", None)
        }
        incidents = incidents.filter(**exact)
        if self.cleaned_data["reference"]:
            incidents = incidents.filter(reference_is(self.cleaned_data["reference"]))
        if dates and self.cleaned_data["since"]:
            incidents = incidents.filter(occurred_on__gte=self.cleaned_data["since"])
        if dates and self.cleaned_data["until"]:
            incidents = incidents.filter(occurred_on__lte=self.cleaned_data["until"])
        return incidents

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


# --- Threat assessment and team review ---------------------------------------------------------

Steps = list[tuple[Legend, Legend, list[forms.BoundField]]]


class AssessmentForm(VersionedModelForm):
    """The five steps of assessing a threat, in the order the method takes them: who is behind
    it comes only after the facts, the pattern and the objective, so that a first impression
    does not decide the rest."""

    STEPS: list[tuple[Legend, Legend, list[str]]] = [
        (
            _("1. The facts"),
            _(
                "What exactly happened: what was said or done, how, when and where. Keep to "
                "what we know; what we think comes in the next steps."
            ),
            ["facts"],
        ),
        (
            _("2. Is there a pattern?"),
            _(
                "Has something like this happened before? Look for the same means, timing, "
                "symbols, wording or people. Tick the incidents that belong to the pattern."
            ),
            ["linked_incidents", "pattern"],
        ),
        (
            _("3. The objective"),
            _(
                "What does the threat want to achieve? It is usually linked to the impact of "
                "our work: stopping an outreach, silencing a survivor, making us leave an area."
            ),
            ["objective"],
        ),
        (
            _("4. Who is behind it"),
            _(
                "Only now, after the first three steps. Be specific: which part of an actor, "
                "which unit or which person, rather than the whole group or institution. Even "
                "a signed threat can be false: someone may use another's name. Ask why the "
                "source threatened instead of acting."
            ),
            ["actor", "confidence", "reasoning"],
        ),
        (
            _("5. Can the threat be carried out?"),
            _(
                "Violence is conditional: it depends on what the source can do, what it stands "
                "to lose, and what we do. Say why you conclude what you do."
            ),
            ["conclusion", "rationale"],
        ),
    ]

    linked_incidents = forms.ModelMultipleChoiceField(
        queryset=Incident.objects.none(),
        label=_("Incidents that may belong to the pattern"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Other incidents you may see that share the place, the source, the category or "
            "someone affected with this one, most recent first."
        ),
    )

    class Meta:
        model = ThreatAssessment
        fields = [
            "facts",
            "linked_incidents",
            "pattern",
            "objective",
            "actor",
            "confidence",
            "reasoning",
            "conclusion",
            "rationale",
        ]
        field_classes = {"actor": ActorChoiceField}
        widgets = {
            "facts": forms.Textarea(attrs={"rows": 5}),
            "pattern": forms.Textarea(attrs={"rows": 3}),
            "objective": forms.Textarea(attrs={"rows": 3}),
            "confidence": forms.RadioSelect,
            "reasoning": forms.Textarea(attrs={"rows": 3}),
            "conclusion": forms.RadioSelect,
            "rationale": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "facts": _("What we know"),
            "pattern": _("The pattern, in words"),
            "objective": _("What the threat wants to achieve"),
            "actor": _("Who, as far as we can tell"),
            "conclusion": _("Our conclusion"),
        }
        error_messages = {
            "facts": {"required": _("Write down the facts: the assessment starts from them.")},
            "conclusion": {"required": _("Say whether the threat can be carried out.")},
        }

    def __init__(
        self, *args: Any, user: User, suggestions: list[PatternSuggestion], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        shown, self.hidden_links = links_of(user, self.instance)
        suggested = {suggestion.incident.pk for suggestion in suggestions}
        # Every link the user may see is offered, suggested or not: one left out would be
        # dropped by the next save.
        offered = suggestions + [PatternSuggestion(i, []) for i in shown if i.pk not in suggested]
        linked = field_of(self, "linked_incidents", forms.ModelMultipleChoiceField)
        # What is posted is checked against every incident the user may see...
        linked.queryset = incidents_visible_to(user).exclude(pk=self.instance.incident_id)
        # ...but only these are listed (set after the queryset, which resets the choices).
        linked.widget.choices = [(suggestion.incident.pk, suggestion) for suggestion in offered]
        self.initial["linked_incidents"] = [incident.pk for incident in shown]
        # An actor archived since it was named stays named rather than silently dropped.
        current = Q(pk=self.instance.actor_id) if self.instance.actor_id else Q(pk__in=[])
        actor = field_of(self, "actor", ActorChoiceField)
        actor.queryset = (
            actors_visible_to(user).filter(Q(archived=False) | current).only("id", "name", "stance")
        )
        actor.empty_label = _("Not known yet")
        # Found by typing, never listed (see safespaces.pickers).
        use_picker(
            actor,
            url=reverse("allies:pick"),
            search_label=_("Find an actor: type part of the name"),
            empty_label=actor.empty_label,
        )
        without_blank_choice(self, "confidence", "conclusion")

    def steps(self) -> Steps:
        return [
            (legend, intro, [self[name] for name in names]) for legend, intro, names in self.STEPS
        ]

    def clean_linked_incidents(self) -> list[Any]:
        # Links to incidents this user may not see stay: someone who could see them made them.
        return [*self.cleaned_data["linked_incidents"], *self.hidden_links]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("actor") and not cleaned.get("confidence"):
            self.add_error("confidence", _("Say how sure we are that they are behind it."))
        return cleaned

    def current_version(self) -> int:
        """A first assessment another coordinator saved meanwhile is found by its incident:
        this form's own row was never written."""
        saved = ThreatAssessment.objects.only("version")
        return saved.get(incident_id=self.instance.incident_id).version


class ReviewForm(forms.ModelForm):
    """The team looked at the incident together: when, who, and what it decided."""

    participants = UserMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("Who took part"),
        required=False,
    )

    class Meta:
        model = Review
        fields = ["held_on", "participants", "decision", "measures"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "decision": forms.RadioSelect,
            "measures": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "held_on": {"required": _("Give the date of the review.")},
            "decision": {"required": _("Say what the team decided.")},
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        participants = field_of(self, "participants", UserMultipleChoiceField)
        participants.queryset = team_members()
        use_colleague_picker(participants)
        without_blank_choice(self, "decision")
        if not self.is_bound:
            # The form's own initial values, which the empty review's would otherwise override.
            self.initial.update(held_on=timezone.localdate(), participants=[user.pk])

    def clean_held_on(self) -> date:
        held_on = self.cleaned_data["held_on"]
        if held_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return held_on

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == Decision.MEASURES and not cleaned.get("measures"):
            self.add_error("measures", _("Say which measures: who does what, by when."))
        return cleaned


class AttachmentForm(forms.Form):
    """Evidence for the timeline. The file is checked by its content and cleaned of metadata in
    `clean_file` (see incidents.attachments), which leaves a CheckedFile in cleaned_data."""

    file = forms.FileField(
        label=_("Photo, document or recording"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=_(
            "Photos (JPEG, PNG, WebP), PDF documents, and audio recordings (MP3, M4A, AAC, Ogg, "
            "Opus, WAV, WebM)."
        ),
        error_messages={"required": _("Choose a file to add."), "empty": EMPTY},
    )
    name = forms.CharField(
        label=_("Name (optional)"),
        max_length=200,
        required=False,
        help_text=_(
            "Leave it empty and the file is kept as “photo-1.jpg”, "
            "“document-2.pdf” and so on: the name a phone gives a file, such as "
            "IMG_20261201_213000.jpg, tells when it was taken."
        ),
    )
    note = forms.CharField(
        label=_("What it shows (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, too_large: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if too_large:
            # The upload handler dropped the file (safespaces.uploads): say why, not "no file".
            self.fields["file"].error_messages["required"] = TOO_LARGE

    @property
    def limit_mb(self) -> int:
        return limit_mb()

    def clean_file(self) -> CheckedFile:
        try:
            return check_upload(self.cleaned_data["file"])
        except Refused as refusal:
            raise forms.ValidationError(refusal.message) from refusal
