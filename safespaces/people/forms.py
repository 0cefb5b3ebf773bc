from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safespaces.accounts.models import User
from safespaces.editing import VersionedModelForm
from safespaces.people.models import IDENTITY_FIELDS, Person
from safespaces.people.selectors import person_matches
from safespaces.people.services import MAX_GRANT_DAYS
from safespaces.pickers import Matches, PickerField

PROFILE_FIELDS = ["alias", "relation", "consent_to_store", "consent_to_store_on"]


class PersonForm(VersionedModelForm):
    """The profile everyone sees, plus identity fields for those who may see them.

    `with_identity=False` leaves the identity fields out entirely, so an edit form never puts a
    survivor's identity into the page of someone who may not reveal it.
    """

    class Meta:
        model = Person
        fields = PROFILE_FIELDS + IDENTITY_FIELDS
        widgets = {
            "consent_to_store_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3}),
            "emergency_contact": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: object, with_identity: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alias"].widget.attrs.update(autocomplete="off")
        if not with_identity:
            for name in IDENTITY_FIELDS:
                del self.fields[name]

    def clean_alias(self) -> str:
        # The database has the same rule (person_alias_unique); checked here to say it nicely.
        alias = self.cleaned_data["alias"].strip()
        taken = Person.objects.filter(alias__iexact=alias, erased_at__isnull=True)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Someone already has this alias. Choose another."))
        return alias

    def clean(self) -> dict[str, object]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("consent_to_store") and not cleaned.get("consent_to_store_on"):
            self.add_error("consent_to_store_on", _("Give the date they consented."))
        return cleaned


class SearchForm(forms.Form):
    alias = forms.CharField(label=_("Alias"), required=False, max_length=80)
    relation = forms.ChoiceField(
        label=_("Relation"), required=False, choices=[("", _("Any"))] + Person.Relation.choices
    )
    archived = forms.BooleanField(label=_("Archived"), required=False)


class GrantForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("User"), queryset=User.objects.filter(is_active=True).order_by("username")
    )
    person = forms.ModelChoiceField(
        label=_("Person"),
        queryset=Person.objects.filter(erased_at__isnull=True),
        required=False,
        empty_label=_("Choose a person"),
    )
    # Access to everyone is a separate, deliberate tick, never what an untouched form gives.
    everyone = forms.BooleanField(label=_("Instead: access to everyone's identity"), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why they need to see identities. Do not write names here."),
    )
    expires_on = forms.DateField(
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("At most 90 days from today. Access ends at the start of this day."),
    )

    def clean(self) -> dict[str, object]:
        super().clean()
        cleaned = self.cleaned_data
        if bool(cleaned.get("person")) == bool(cleaned.get("everyone")):
            self.add_error("person", _("Choose one person, or tick access to everyone."))
        return cleaned

    def clean_expires_on(self) -> object:
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError(_("Choose a day after today."))
        if day > today + timedelta(days=MAX_GRANT_DAYS):
            raise forms.ValidationError(_("A grant can last at most 90 days."))
        return day


class DateRangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: asked by the person on a call on 3 November. No names."),
    )


def people_for_picking(*, keeping: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """The people a form offers: neither archived nor erased, by alias, with nothing else read;
    and those in `keeping` (whom the record names already), so an edit never drops one unseen.

    Each person once: `keeping` is matched by id. OR-ing a relation's queryset in instead
    (`... | incident.affected_people.all()`) joins its table, and every person came back once per
    record that names them.
    """
    offered = Q(archived_at__isnull=True, erased_at__isnull=True)
    if keeping is not None:
        offered |= Q(pk__in=keeping.values("pk"))
    return Person.objects.filter(offered).only("id", "alias").order_by(Lower("alias"))


class PersonChoiceField(PickerField):
    """Pick a person by alias, in any app's form. Never shows an identity field. Given a picker
    (`use_picker`), found by alias."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", people_for_picking())
        kwargs.setdefault("label", _("Person"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Person) -> str:
        return obj.alias

    def matches(self, query: str) -> Matches:
        return person_matches(self.offered(), query)


class PersonMultipleChoiceField(PickerField, forms.ModelMultipleChoiceField):
    """Pick several people by alias, labelled like PersonChoiceField: a record that names people
    never shows who someone is. Given a picker (`use_picker`), found by alias."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", people_for_picking())
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Person) -> str:
        return obj.alias

    def matches(self, query: str) -> Matches:
        return person_matches(self.offered(), query)
