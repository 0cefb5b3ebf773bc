from collections.abc import Iterator
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safespaces.editing import VersionedModelForm
from safespaces.pickers import Matches, PickerField, use_picker
from safespaces.places.models import Place
from safespaces.places.selectors import (
    place_label,
    place_matches,
    places_for_picking,
    sorted_by_name,
)


class PlaceForm(VersionedModelForm):
    """`with_address=False` leaves the address and notes out, so they are never in the page."""

    class Meta:
        model = Place
        fields = ["kind", "name", "address", "notes"]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
            "notes": forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
        }
        error_messages = {
            "kind": {"required": _("Choose what kind of place this is.")},
            "name": {"required": _("Give the place a name.")},
        }

    def __init__(self, *args: Any, with_address: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_address:
            del self.fields["address"], self.fields["notes"]
        self.fields["name"].widget.attrs.update(autocomplete="off")


class ArchivedFilterForm(forms.Form):
    archived = forms.BooleanField(label=_("Show archived places"), required=False)


class PlaceChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for place in sorted_by_name(self.queryset):
            yield self.choice(place)


class PlaceChoiceField(PickerField):
    """Pick an active place, by name and kind, in any app's form. Never shows an address.

    As a list, the names are decrypted to label and sort them; given a picker (`use_picker`),
    only the chosen place and the matches of a search are.
    """

    iterator = PlaceChoiceIterator

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", places_for_picking())
        kwargs.setdefault("label", _("Place"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Place) -> str:
        return place_label(obj.name, obj.kind)

    def matches(self, query: str) -> Matches:
        return place_matches(self.offered(), query)


class PlaceMultipleChoiceField(PickerField, forms.ModelMultipleChoiceField):
    """Pick several places (as ticks), labelled and sorted like PlaceChoiceField; given a
    picker (`use_picker`), found by name or kind like it."""

    iterator = PlaceChoiceIterator
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", places_for_picking())
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Place) -> str:
        return place_label(obj.name, obj.kind)

    def matches(self, query: str) -> Matches:
        return place_matches(self.offered(), query)


def use_place_picker(field: forms.Field, *, find_form: str | None = None) -> None:
    """Let `field` find places by typing, never by listing them all (safespaces.pickers); a
    filter names the POST form its search belongs to, `find_form`."""
    use_picker(
        field,
        url=reverse("places:pick"),
        search_label=_("Find a place: type part of its name, or its kind"),
        empty_label=getattr(field, "empty_label", None),
        find_form=find_form,
    )
