from datetime import date
from typing import Any
from uuid import UUID

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from allies.forms import ActorChoiceField, actor_pick_url
from allies.models import Actor, Stance
from allies.selectors import actors_visible_to, ally_label, ally_matches, requests_in_window
from incidents.models import Incident
from incidents.selectors import (
    incident_choice_label,
    incident_matches,
    incidents_visible_to,
    linkable_incidents,
)
from riskassessment.models import (
    Alternative,
    Assessment,
    Capacity,
    Measure,
    RiskSituation,
    SituationKind,
    Threat,
    Vulnerability,
)
from riskassessment.scoring import Level
from riskassessment.selectors import LatestSituation, with_due_flag
from safespaces.accounts.forms import (
    UserChoiceField,
    UserMultipleChoiceField,
    team_members_and,
    use_colleague_picker,
)
from safespaces.accounts.models import User
from safespaces.editing import VersionedModelForm
from safespaces.forms import FieldGroups, Legend, field_of, without_blank_choice
from safespaces.models import Factor
from safespaces.people.forms import PersonMultipleChoiceField, people_for_picking
from safespaces.pickers import FILTER_FIND, Match, Matches, PickerField, use_picker
from safespaces.places.forms import PlaceChoiceField, use_place_picker
from safespaces.places.models import Place
from safespaces.places.selectors import places_for_picking

RATING_CHOICES = [(value, str(value)) for value in range(1, 6)]

# The standing organizational risks the guide names, to start a situation from.
PRESETS: dict[str, tuple[Any, Any]] = {
    "capacity": (
        _("Lack of capacity"),
        _("Keep enough funding and staff to support survivors well."),
    ),
    "governance": (
        _("Inadequate governance"),
        _("Lead and decide in a way that keeps us efficient, accountable and trusted."),
    ),
    "turnover": (
        _("Survivor staff turnover and instability"),
        _("Keep a stable team while people deal with their own health and conflicts."),
    ),
    "knowledge": (
        _("Lack of institutional knowledge"),
        _("Document what we know so the work continues when people move on."),
    ),
    "burnout": (
        _("Re-traumatization, burnout and vicarious trauma"),
        _("Do the work without it harming the people who do it."),
    ),
    "data": (
        _("Data security and confidentiality"),
        _("Keep survivors' information safe, so they can trust us with it."),
    ),
    "interests": (
        _("Conflicting interests"),
        _("Keep the organization focused on survivors whatever the internal differences."),
    ),
    "connected": (
        _("Survivors still connected to past exploitation"),
        _("Serve survivors who are still in contact with exploiters without exposing others."),
    ),
}


class IncidentChoiceField(PickerField, forms.ModelMultipleChoiceField):
    """Incidents by reference, date, category and what happened in a few words.

    The queryset holds only incidents the user may see (`linkable_incidents`), so whoever is
    offered one may read its summary. Found by typing (`use_picker`): a summary is decrypted
    for the incidents linked and the matches of a search only, and the response's audit event
    names each of them.
    """

    def label_from_instance(self, obj: Incident) -> str:
        return incident_choice_label(obj)

    def matches(self, query: str) -> Matches:
        return incident_matches(self.offered(), query)


def use_incident_picker(field: IncidentChoiceField) -> None:
    """Incidents are found by typing, never listed: a year of them may be thousands, and each
    listed would have its summary decrypted on every page (see safespaces.pickers)."""
    use_picker(
        field,
        url=reverse("incidents:pick"),
        search_label=_("Find an incident: type part of its reference, a date or a category"),
    )


def keep_hidden_links(
    form: forms.BaseForm, name: str, user: User, current: QuerySet[Incident] | None
) -> list[UUID]:
    """Offer in `name` the incidents `user` may link, and return the ids of those linked already
    that they may not see. The form neither lists these nor drops them: the `clean_` method of
    the field adds them back, since nobody unlinks what they cannot see."""
    linked = field_of(form, name, IncidentChoiceField)
    linked.queryset = linkable_incidents(user, current)
    use_incident_picker(linked)
    if current is None:
        return []
    visible = incidents_visible_to(user).values("pk")
    hidden = list(current.exclude(pk__in=visible).values_list("pk", flat=True))
    if hidden and name in form.initial:
        # Left out of the initial value too, or every save would count as a change of links.
        form.initial[name] = [i for i in form.initial[name] if getattr(i, "pk", i) not in hidden]
    return hidden


def _all_or_none(
    form: forms.BaseForm, cleaned: dict[str, Any], names: list[str], message: Any
) -> None:
    """Ratings that only mean something together: a part of them is refused, next to what is
    missing, rather than ignored without a word by the scoring."""
    given = [cleaned.get(name) is not None for name in names]
    if any(given) and not all(given):
        for name, present in zip(names, given, strict=True):
            if not present:
                form.add_error(name, message)


class KeepsHiddenIncidents(forms.BaseForm):
    """A form with a list of linked incidents that keeps, unlisted, those the editor may not see
    (see keep_hidden_links)."""

    incidents_field = "linked_incidents"
    hidden_incidents: list[UUID] = []

    def keep_hidden_incidents(self, user: User, current: QuerySet[Incident] | None) -> None:
        self.hidden_incidents = keep_hidden_links(self, self.incidents_field, user, current)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.incidents_field in cleaned:
            cleaned[self.incidents_field] = [*cleaned[self.incidents_field], *self.hidden_incidents]
        return cleaned


class SituationForm(KeepsHiddenIncidents, VersionedModelForm):
    incidents_field = "incidents"

    fieldset_groups_spec: list[tuple[Legend, list[str]]] = [
        (_("The activity"), ["kind", "title", "objective"]),
        (_("Where and when"), ["place", "starts_on", "ends_on"]),
        (_("Who"), ["participants", "people"]),
        (
            _("Check-ins"),
            ["check_in_with", "check_in_when", "check_in_missed", "check_in_grace_minutes"],
        ),
        (_("Keeping it current"), ["incidents", "review_every_months", "status"]),
    ]

    participants = UserMultipleChoiceField(
        queryset=User.objects.none(),
        label=_("Staff taking part"),
        required=False,
        help_text=_("They can open the safety plan."),
    )
    people = PersonMultipleChoiceField(
        label=_("People involved, by alias"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    incidents = IncidentChoiceField(
        queryset=Incident.objects.none(),
        label=_("Related incidents"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Incidents of the last year that bear on this situation. A newer incident linked "
            "here makes it due for reassessment."
        ),
    )

    class Meta:
        model = RiskSituation
        fields = [
            "kind",
            "title",
            "objective",
            "place",
            "starts_on",
            "ends_on",
            "participants",
            "people",
            "check_in_with",
            "check_in_when",
            "check_in_missed",
            "check_in_grace_minutes",
            "incidents",
            "review_every_months",
            "status",
        ]
        field_classes = {"place": PlaceChoiceField, "check_in_with": UserChoiceField}
        widgets = {
            "kind": forms.RadioSelect,
            "objective": forms.Textarea(attrs={"rows": 3}),
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "check_in_when": forms.Textarea(attrs={"rows": 2}),
            "check_in_missed": forms.Textarea(attrs={"rows": 2}),
            "status": forms.RadioSelect,
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        situation = self.instance
        taking_part = Q(
            pk__in=[] if situation._state.adding else situation.participants.values("pk")
        )
        participants = field_of(self, "participants", UserMultipleChoiceField)
        participants.queryset = team_members_and(taking_part)
        check_in = field_of(self, "check_in_with", UserChoiceField)
        check_in.queryset = team_members_and(Q(pk=situation.check_in_with_id))
        check_in.empty_label = _("Nobody named yet")
        use_colleague_picker(participants)
        use_colleague_picker(check_in)
        without_blank_choice(self, "kind", "status")
        place = field_of(self, "place", PlaceChoiceField)
        place.required = False
        place.empty_label = _("No particular place")
        place.queryset = places_for_picking() | Place.objects.filter(pk=situation.place_id)
        current = None if situation._state.adding else situation.incidents.all()
        self.keep_hidden_incidents(user, current)
        if not situation._state.adding:
            people = field_of(self, "people", PersonMultipleChoiceField)
            people.queryset = people_for_picking(keeping=situation.people.all())
        else:
            del self.fields["status"]
        # Found by typing, never listed (see safespaces.pickers).
        use_place_picker(place)
        use_picker(
            field_of(self, "people", PersonMultipleChoiceField),
            url=reverse("people:pick"),
            search_label=_("Find someone: type part of the alias"),
        )

    def fieldset_groups(self) -> FieldGroups:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.fieldset_groups_spec
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            # Next to the date to correct; the database constraint would say it above the form.
            self.add_error("ends_on", _("The end comes before the start."))
        return cleaned

    @classmethod
    def initial_from_preset(cls, key: str) -> dict[str, Any]:
        if key not in PRESETS:
            return {}
        title, objective = PRESETS[key]
        return {"kind": SituationKind.ORGANIZATIONAL, "title": title, "objective": objective}


class StartForm(forms.ModelForm):
    """Why a new version of the assessment is made, and which incidents led to it."""

    linked_incidents = IncidentChoiceField(
        queryset=Incident.objects.none(),
        label=_("Incidents that led to it"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Assessment
        fields = ["trigger", "linked_incidents"]
        widgets = {"trigger": forms.RadioSelect}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_blank_choice(self, "trigger")
        linked = field_of(self, "linked_incidents", IncidentChoiceField)
        linked.queryset = linkable_incidents(user)
        use_incident_picker(linked)


class FactorsField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=Factor.choices,
            widget=forms.CheckboxSelectMultiple,
            required=False,
            label=_("Does gender, age, status or identity make this stronger or weaker?"),
            **kwargs,
        )


class RatingSelect(forms.RadioSelect):
    """1 to 5 as a row of radio buttons: one tap on a phone."""

    template_name = "riskassessment/widgets/rating.html"


RATED = {
    "likelihood",
    "impact",
    "residual_likelihood",
    "residual_impact",
    "level",
    "threat",
    "vulnerability",
    "capacity",
    "residual_threat",
    "residual_vulnerability",
    "residual_capacity",
}


def _rating_field(field: Any, **kwargs: Any) -> forms.Field | None:
    """Ratings 1-5 as a row of radio buttons; an optional one may be left at "-"."""
    if field.name not in RATED or field.choices:
        return field.formfield(**kwargs)
    options = {"label": capfirst(field.verbose_name), "help_text": field.help_text} | {
        key: value for key, value in kwargs.items() if key not in ("widget", "form_class")
    }
    return forms.TypedChoiceField(
        choices=[*([] if not field.null else [("", "-")]), *RATING_CHOICES],
        coerce=int,
        empty_value=None,
        required=not field.null,
        widget=RatingSelect,
        **options,
    )


class ItemForm(forms.ModelForm):
    """One threat, vulnerability or capacity. Every list page passes the same arguments; each
    form takes what it needs of them."""

    factors = FactorsField()

    def __init__(self, *args: Any, user: User, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].widget = forms.Textarea(attrs={"rows": 2})


class ThreatForm(KeepsHiddenIncidents, ItemForm):
    class Meta:
        model = Threat
        fields = [
            "description",
            "source",
            "likelihood",
            "impact",
            "residual_likelihood",
            "residual_impact",
            "linked_incidents",
            "factors",
        ]
        field_classes = {"source": ActorChoiceField, "linked_incidents": IncidentChoiceField}
        # In Meta, not set in __init__: a widget swapped after the queryset has no choices.
        widgets = {"linked_incidents": forms.CheckboxSelectMultiple}
        formfield_callback = _rating_field
        help_texts = {
            "likelihood": _("1: very unlikely. 5: almost certain."),
            "impact": _("1: little harm. 5: a life or the organization at stake."),
            "residual_likelihood": _(
                "Once the planned measures are in place. Leave as “-” to keep the rating above."
            ),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        source = field_of(self, "source", ActorChoiceField)
        source.queryset = actors_visible_to(user).filter(
            Q(archived=False) | Q(pk=self.instance.source_id)
        )
        # Agrees with the language's word for a source ("fuente desconocida").
        source.empty_label = pgettext_lazy("suspected source", "Unknown")
        # Found by typing, never listed (see safespaces.pickers).
        use_picker(
            source,
            url=reverse("allies:pick"),
            search_label=_("Find an actor: type part of the name"),
            empty_label=source.empty_label,
        )
        current = None if self.instance._state.adding else self.instance.linked_incidents.all()
        self.keep_hidden_incidents(user, current)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        _all_or_none(
            self,
            cleaned,
            ["residual_likelihood", "residual_impact"],
            _("Rate both likelihood and impact after the measures, or neither."),
        )
        return cleaned


class ItemChoiceField(forms.ModelChoiceField):
    """A threat or a vulnerability of the assessment, by its description."""

    def label_from_instance(self, obj: Threat | Vulnerability) -> str:
        return obj.description


class VulnerabilityForm(ItemForm):
    class Meta:
        model = Vulnerability
        fields = ["description", "category", "level", "factors"]
        formfield_callback = _rating_field


class CapacityForm(ItemForm):
    class Meta:
        model = Capacity
        fields = ["description", "category", "level", "answers", "factors"]
        field_classes = {"answers": ItemChoiceField}
        formfield_callback = _rating_field

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        super().__init__(*args, assessment=assessment, **kwargs)
        answers = field_of(self, "answers", ItemChoiceField)
        answers.queryset = Vulnerability.objects.filter(assessment=assessment)
        answers.empty_label = _("None in particular")


def _items_formset(form: type[ItemForm], model: type[Any]) -> Any:
    return forms.inlineformset_factory(
        Assessment, model, form=form, extra=1, can_delete=True, max_num=30, validate_max=True
    )


# Each list of an assessment is edited on its own page: short enough for a phone.
ITEM_FORMSETS = {
    "threats": _items_formset(ThreatForm, Threat),
    "vulnerabilities": _items_formset(VulnerabilityForm, Vulnerability),
    "capacities": _items_formset(CapacityForm, Capacity),
}


class VersionForm(forms.Form):
    """The assessment version a list page was opened at, for optimistic locking."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # After a conflict, the fields both editors changed: each waits for a `keep_<field>` choice.
    conflicts = forms.CharField(widget=forms.HiddenInput, required=False)


class RatingForm(KeepsHiddenIncidents, VersionedModelForm):
    """T, V and C rated beside the lists that inform them, before and after the measures."""

    linked_incidents = IncidentChoiceField(
        queryset=Incident.objects.none(),
        label=_("Incidents that led to it"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Assessment
        fields = [
            "threat",
            "vulnerability",
            "capacity",
            "residual_threat",
            "residual_vulnerability",
            "residual_capacity",
            "lens_notes",
            "linked_incidents",
        ]
        formfield_callback = _rating_field
        widgets = {"lens_notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "threat": _("How strong and close the threats are. 1: faint. 5: clear and present."),
            "vulnerability": _("How exposed we are. 1: barely. 5: wide open."),
            "capacity": _("What we can do to protect ourselves. 1: little. 5: a lot."),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.linked_incidents.all()
        self.keep_hidden_incidents(user, current)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for prefix in ("", "residual_"):
            names = [f"{prefix}{name}" for name in ("threat", "vulnerability", "capacity")]
            _all_or_none(self, cleaned, names, _("Rate all three, or none of them."))
        return cleaned


class DecisionForm(VersionedModelForm):
    class Meta:
        model = Assessment
        fields = ["decision", "rationale", "valid_until"]
        widgets = {
            "decision": forms.RadioSelect,
            "rationale": forms.Textarea(attrs={"rows": 3}),
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        without_blank_choice(self, "decision")
        self.fields["decision"].required = True
        self.fields["rationale"].required = True
        self.fields["valid_until"].required = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.residual_level is None:
            # Without threats or ratings there is no risk level to weigh, nor to approve.
            raise forms.ValidationError(
                _("Rate the risk before deciding: list the threats, or rate T, V and C.")
            )
        return cleaned

    def clean_valid_until(self) -> date | None:
        until = self.cleaned_data["valid_until"]
        if until and until < timezone.localdate():
            raise forms.ValidationError(_("The date has passed: choose one in the future."))
        return until


class AlternativeForm(forms.ModelForm):
    class Meta:
        model = Alternative
        fields = ["description", "level"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


AlternativeFormSet = forms.inlineformset_factory(
    Assessment, Alternative, form=AlternativeForm, extra=1, can_delete=True, max_num=10
)


class AllyChoiceField(ActorChoiceField):
    """Allies, with the "asked often" signal, so requests are spread across the network. Found
    by typing (`use_picker`): the signal is read for the chosen ally and the matches only."""

    def label_from_instance(self, obj: Actor) -> str:
        return obj.name

    def chosen(self, values: list[str]) -> list[Match]:
        chosen = super().chosen(values)
        asked = requests_in_window([match.value for match in chosen])
        return [
            Match(match.value, ally_label(match.label, asked.get(UUID(match.value), 0)))
            for match in chosen
        ]

    def matches(self, query: str) -> Matches:
        return ally_matches(self.offered(), query)


class MeasureForm(VersionedModelForm):
    class Meta:
        model = Measure
        fields = [
            "kind",
            "description",
            "owner",
            "due_on",
            "status",
            "ally",
            "threat",
            "vulnerability",
        ]
        field_classes = {
            "ally": AllyChoiceField,
            "owner": UserChoiceField,
            "threat": ItemChoiceField,
            "vulnerability": ItemChoiceField,
        }
        widgets = {
            "kind": forms.RadioSelect,
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, latest: Assessment | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        measure = self.instance
        without_blank_choice(self, "kind", "status")
        owner = field_of(self, "owner", UserChoiceField)
        owner.queryset = team_members_and(Q(pk=measure.owner_id))
        owner.empty_label = _("Nobody yet")
        use_colleague_picker(owner)
        # The current ally stays offered even if archived or no longer an ally, so an unrelated
        # edit never drops it unseen.
        ally = field_of(self, "ally", AllyChoiceField)
        ally.queryset = Actor.objects.filter(
            Q(stance=Stance.ALLY, archived=False) | Q(pk=measure.ally_id)
        ).only("id", "name", "stance")
        ally.empty_label = _("No ally")
        # Found by typing, never listed (see safespaces.pickers).
        use_picker(
            ally,
            url=actor_pick_url(stances=[Stance.ALLY], asked=True),
            search_label=_("Find an ally: type part of the name"),
            empty_label=ally.empty_label,
        )
        # The latest version's threats and vulnerabilities, and whichever the measure answers.
        items = Q(assessment=latest) if latest else Q(pk__in=[])
        threat = field_of(self, "threat", ItemChoiceField)
        threat.queryset = Threat.objects.filter(items | Q(pk=measure.threat_id))
        vulnerability = field_of(self, "vulnerability", ItemChoiceField)
        vulnerability.queryset = Vulnerability.objects.filter(
            items | Q(pk=measure.vulnerability_id)
        )
        for field in (threat, vulnerability):
            field.empty_label = _("None in particular")


class MeasureStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Measure.Status.choices)


class RegisterFilterForm(forms.Form):
    """Filters of the register: closed lists only, so nothing sensitive lands in the address."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("Any kind")), *SituationKind.choices], required=False
    )
    place = PlaceChoiceField(label=_("Place"), required=False, empty_label=_("All places"))
    level = forms.TypedChoiceField(
        label=_("Risk after measures"),
        choices=[("", _("Any level")), *Level.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    due = forms.ChoiceField(
        label=_("Reassessment"),
        choices=[("", _("Due or not")), ("yes", _("Due")), ("no", _("Not due"))],
        required=False,
    )
    closed = forms.BooleanField(label=_("Show closed situations too"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Found by typing, never listed (see safespaces.pickers): the filter shows the place
        # chosen, and what a search finds.
        place = field_of(self, "place", PlaceChoiceField)
        use_place_picker(place, find_form=FILTER_FIND)

    def filter(
        self, situations: QuerySet[LatestSituation], user: User
    ) -> QuerySet[LatestSituation]:
        """The matching situations, every filter applied by the database, so a page of them is
        read and nothing else. Due or not is the database's version of the rules (see
        riskassessment.selectors.with_due_flag)."""
        matching = self._filter_in_database(situations)
        wanted = self.cleaned_data.get("due") if self.is_valid() else ""
        if wanted:
            return with_due_flag(matching, user).filter(is_due=wanted == "yes")
        return matching

    def _filter_in_database(
        self, situations: QuerySet[LatestSituation]
    ) -> QuerySet[LatestSituation]:
        if not self.is_valid():
            return situations.filter(status=RiskSituation.Status.CURRENT)
        data = self.cleaned_data
        if not data["closed"]:
            situations = situations.filter(status=RiskSituation.Status.CURRENT)
        if data["kind"]:
            situations = situations.filter(kind=data["kind"])
        if data["place"]:
            situations = situations.filter(place=data["place"])
        if data["level"]:
            situations = situations.filter(residual_level=data["level"])
        return situations
