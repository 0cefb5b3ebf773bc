from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from allies.models import Actor, Capability, Engagement, Relation, Sector, Stance
from allies.selectors import (
    actor_label,
    actor_matches,
    may_name_person,
    may_share_with,
    serving,
    sorted_by_name,
)
from safespaces.editing import VersionedModelForm
from safespaces.forms import FieldGroups, Legend, field_of, without_blank_choice
from safespaces.people.forms import PersonChoiceField, people_for_picking
from safespaces.people.models import Person
from safespaces.pickers import FILTER_FIND, Matches, PickerField, use_picker
from safespaces.places.forms import PlaceChoiceField, PlaceMultipleChoiceField, use_place_picker
from safespaces.places.models import Place

POWER_CHOICES = [
    ("", _("Choose…")),
    (1, _("1 – very little")),
    (2, _("2 – some")),
    (3, _("3 – considerable")),
    (4, _("4 – strong")),
    (5, _("5 – decisive")),
]
TRUST_CHOICES = [
    ("", _("Not rated")),
    (1, _("1 – untested")),
    (2, _("2 – some")),
    (3, _("3 – reliable")),
    (4, _("4 – strong")),
    (5, _("5 – came through in a crisis")),
]


class ActorForm(VersionedModelForm):
    """Everything about an actor, in the groups a coordinator thinks in."""

    capabilities = forms.MultipleChoiceField(
        label=_("What they can do for us"),
        choices=Capability.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    areas = PlaceMultipleChoiceField(label=_("Areas served"), required=False)

    fieldsets: list[tuple[Legend, list[str]]] = [
        (_("Who they are"), ["name", "kind", "sector", "stance", "power", "trust"]),
        (_("What they do and where"), ["capabilities", "serves_everywhere", "areas"]),
        (
            _("How to reach them"),
            [
                "in_directory",
                "contact_person",
                "phone",
                "email",
                "messenger",
                "address",
                "last_verified",
            ],
        ),
        (_("Notes"), ["notes"]),
    ]

    class Meta:
        model = Actor
        fields = [
            "name",
            "kind",
            "sector",
            "stance",
            "power",
            "trust",
            "serves_everywhere",
            "in_directory",
            "contact_person",
            "phone",
            "email",
            "messenger",
            "address",
            "last_verified",
            "notes",
        ]
        widgets = {
            "stance": forms.RadioSelect,
            "power": forms.Select(choices=POWER_CHOICES),
            "trust": forms.Select(choices=TRUST_CHOICES),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
            "last_verified": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "name": {"required": _("Give the actor a name.")},
            "kind": {"required": _("Choose what kind of actor this is.")},
            "sector": {"required": _("Choose the sector they belong to.")},
            "stance": {"required": _("Say whether they are an ally, neutral or an adversary.")},
            "power": {"required": _("Rate their power from 1 to 5.")},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update(autocomplete="off")
        without_blank_choice(self, "stance")
        # Not `instance.pk`: the UUID primary key is set before the actor is first saved.
        if not self.instance._state.adding:
            # An area archived since it was picked stays picked rather than silently dropped.
            current = self.instance.areas.all()
            field_of(self, "areas", PlaceMultipleChoiceField).queryset = Place.objects.filter(
                Q(archived=False) | Q(pk__in=current)
            ).only("id", "kind", "name")
            # Bound forms need these too: `changed_data`, which names the fields in the audit
            # trail, compares what was posted with them.
            self.fields["capabilities"].initial = list(
                self.instance.capabilities.values_list("capability", flat=True)
            )
            self.fields["areas"].initial = list(current)
        # Found by typing, never listed (see safespaces.pickers).
        use_place_picker(self.fields["areas"])

    @cached_property
    def changed_data(self) -> list[str]:
        changed = super().changed_data
        # clean() drops the trust rating of a non-ally while the form still shows it: the
        # posted data looks unchanged, the saved actor is not.
        dropped = (
            hasattr(self, "cleaned_data")
            and "trust" in self.cleaned_data
            and self.cleaned_data["trust"] is None
            and self.get_initial_for_field(self.fields["trust"], "trust") is not None
        )
        if dropped and "trust" not in changed:
            changed = [*changed, "trust"]
        return changed

    def fieldset_groups(self) -> FieldGroups:
        """The fields in the groups of `fieldsets`, for `_form.html`."""
        return [(legend, [self[name] for name in names]) for legend, names in self.fieldsets]

    def clean_last_verified(self) -> date | None:
        verified = self.cleaned_data["last_verified"]
        if verified and verified > timezone.localdate():
            # A typo in the future would silence the "check these details" warning for years.
            raise forms.ValidationError(_("The date cannot be in the future."))
        return verified

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.instance.archived and cleaned.get("in_directory"):
            self.add_error(
                "in_directory",
                _("An archived actor cannot be in the emergency directory."),
            )
        if cleaned.get("stance") != Stance.ALLY:
            # Trust is rated for allies only; a rating left over from before is dropped.
            cleaned["trust"] = None
            if cleaned.get("in_directory"):
                self.add_error(
                    "in_directory",
                    _("Only allies go in the emergency directory: everyone can read it."),
                )
        return cleaned


class ActorChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for actor in sorted_by_name(self.queryset):
            yield self.choice(actor)


def actor_pick_url(
    *, stances: Sequence[str] = (), leaving_out: Any = None, asked: bool = False
) -> str:
    """The address of the actors' search view for a picker whose field takes only `stances`
    (all when none), never the actor `leaving_out`, and labels allies as asked often or not."""
    narrowing: list[tuple[str, str]] = [("stance", str(stance)) for stance in stances]
    if leaving_out is not None:
        narrowing.append(("except", str(leaving_out)))
    if asked:
        narrowing.append(("asked", "1"))
    url = reverse("allies:pick")
    return f"{url}?{urlencode(narrowing)}" if narrowing else url


class ActorChoiceField(PickerField):
    """Pick an actor by name. As a list, the names are decrypted to label and sort them; given a
    picker (`use_picker`), only the chosen actor and the matches of a search are."""

    iterator = ActorChoiceIterator

    def label_from_instance(self, obj: Actor) -> str:
        return actor_label(obj.name, obj.stance)

    def matches(self, query: str) -> Matches:
        return actor_matches(self.offered(), query)


class ActorFilterForm(forms.Form):
    """Filters of the list and the map. Only values from closed lists: nothing sensitive lands
    in the address bar (a place is named by its random code)."""

    sector = forms.ChoiceField(
        label=_("Sector"), choices=[("", _("All sectors")), *Sector.choices], required=False
    )
    area = PlaceChoiceField(label=_("Area"), required=False, empty_label=_("All areas"))
    stance = forms.ChoiceField(
        label=_("Stance"), choices=[("", _("Any stance")), *Stance.choices], required=False
    )
    # The actor map's "+N more" links open the list at one stance and one level of power.
    power = forms.TypedChoiceField(
        label=_("Power"),
        choices=[("", _("Any power")), *((str(level), str(level)) for level in range(5, 0, -1))],
        coerce=int,
        empty_value=None,
        required=False,
    )
    capability = forms.ChoiceField(
        label=_("Can help with"),
        choices=[("", _("Anything")), *Capability.choices],
        required=False,
    )
    archived = forms.BooleanField(label=_("Show archived actors"), required=False)

    def __init__(self, *args: Any, see_all: bool, fields: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not see_all:
            fields = [name for name in fields if name not in ("stance", "archived")]
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]
        if "area" in self.fields:
            # Found by typing, never listed (see safespaces.pickers): the filter shows the area
            # chosen, and what a search finds.
            area = field_of(self, "area", PlaceChoiceField)
            use_place_picker(area, find_form=FILTER_FIND)

    def filter(self, actors: QuerySet[Actor]) -> QuerySet[Actor]:
        if not self.is_valid():
            return actors.filter(archived=False)
        data = self.cleaned_data
        actors = actors.filter(archived=bool(data.get("archived")))
        if data.get("sector"):
            actors = actors.filter(sector=data["sector"])
        if data.get("stance"):
            actors = actors.filter(stance=data["stance"])
        if data.get("power"):
            actors = actors.filter(power=data["power"])
        if data.get("capability"):
            actors = actors.filter(capabilities__capability=data["capability"])
        return serving(actors, data.get("area"))


class RelationForm(forms.ModelForm):
    class Meta:
        model = Relation
        fields = ["kind", "target"]
        labels = {"kind": _("This actor…"), "target": _("…and this one")}
        help_texts = {
            "kind": _(
                "“Controls” and “Depends on” read from this actor to the other one: this actor "
                "controls, or depends on, the other."
            )
        }

    def __init__(self, *args: Any, source: Actor, choices: QuerySet[Actor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source = source
        # A field replaced here does not get Meta's labels and error messages: give them.
        self.fields["target"] = ActorChoiceField(
            queryset=choices.exclude(pk=source.pk),
            label=_("…and this one"),
            error_messages={"required": _("Choose the other actor.")},
        )
        # Found by typing, never listed (see safespaces.pickers).
        use_picker(
            self.fields["target"],
            url=actor_pick_url(leaving_out=source.pk),
            search_label=_("Find an actor: type part of the name"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        kind, target = cleaned.get("kind"), cleaned.get("target")
        if not (kind and target):
            return cleaned
        same = Q(source=self.source, target=target)
        if not Relation(kind=kind).is_directed:
            # An alliance or a conflict reads both ways: B–A is the line A–B already drawn.
            same |= Q(source=target, target=self.source)
        if Relation.objects.filter(same, kind=kind).exists():
            raise forms.ValidationError(_("This relation is already on the map."))
        return cleaned


class EngagementForm(VersionedModelForm):
    """A contact with one actor. A person is linked only if they consented to sharing with it."""

    class Meta:
        model = Engagement
        fields = ["date", "kind", "purpose", "outcome", "response_hours", "person", "notes"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "purpose": forms.TextInput(attrs={"autocomplete": "off"}),
            "response_hours": forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
        error_messages = {
            "date": {"required": _("Give the date of the contact.")},
            "kind": {"required": _("Choose what kind of contact it was.")},
            "purpose": {"required": _("Say in a line what it was about.")},
        }

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        person = PersonChoiceField(
            label=_("Person concerned"),
            required=False,
            empty_label=_("Nobody in particular"),
            help_text=Engagement._meta.get_field("person").help_text,
        )
        if self.instance.person_id:
            # Someone archived since they were linked stays linked rather than silently dropped
            # the next time the contact is saved.
            linked = Person.objects.filter(pk=self.instance.person_id, erased_at__isnull=True)
            person.queryset = people_for_picking(keeping=linked)
        self.fields["person"] = person
        # Found by typing, never listed (see safespaces.pickers).
        use_picker(
            person,
            url=reverse("people:pick"),
            search_label=_("Find someone: type part of the alias"),
            empty_label=person.empty_label,
        )
        # Not `instance.pk`: the UUID primary key is set before the engagement is first saved.
        if self.instance._state.adding and not self.is_bound:
            self.fields["date"].initial = timezone.localdate()

    def clean_date(self) -> date:
        day: date = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        person, day = cleaned.get("person"), cleaned.get("date")
        # A consent withdrawn since does not stop updating the outcome of a past contact.
        checked = self.instance._state.adding or {"person", "date"} & set(self.changed_data)
        if person and day and checked and not may_name_person(self.actor, person, on=day):
            self.add_error(
                "person",
                _(
                    "%(alias)s has not consented to sharing their information with this actor. "
                    "Record their consent first, or leave the person out."
                )
                % {"alias": person.alias},
            )
        return cleaned


# Who a person may agree to share with (see may_receive_shared_data).
SHARING_STANCES = [Stance.ALLY, Stance.NEUTRAL]


class SharingConsentForm(forms.Form):
    ally = ActorChoiceField(
        queryset=Actor.objects.none(),
        label=_("Who they agreed to share with"),
        error_messages={"required": _("Choose who they agreed to share with.")},
    )
    given_on = forms.DateField(
        label=_("Consent given on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the date they consented.")},
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        # Allies and neutral actors only (see may_receive_shared_data).
        ally = field_of(self, "ally", ActorChoiceField)
        ally.queryset = Actor.objects.filter(archived=False, stance__in=SHARING_STANCES).only(
            "id", "name", "stance"
        )
        # Found by typing, never listed (see safespaces.pickers).
        use_picker(
            ally,
            url=actor_pick_url(stances=SHARING_STANCES),
            search_label=_("Find an actor: type part of the name"),
        )
        if not self.is_bound:
            self.fields["given_on"].initial = timezone.localdate()

    def clean_given_on(self) -> date:
        given_on = self.cleaned_data["given_on"]
        if given_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return given_on

    def clean_ally(self) -> Actor:
        ally = self.cleaned_data["ally"]
        if may_share_with(self.person, ally):
            raise forms.ValidationError(_("Their consent to share with this actor is on record."))
        return ally
