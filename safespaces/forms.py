"""What the forms of every app share: titled groups of fields, a typed look-up of a field, radio
buttons without a blank choice."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from django import forms

if TYPE_CHECKING:
    # A development-only package: these names are for the type checker, not for run time.
    from django_stubs_ext import StrOrPromise

# A fieldset's legend or a step's title: lazily translated text, made a string when shown.
Legend: TypeAlias = "StrOrPromise"
FieldGroups: TypeAlias = list[tuple[Legend, list[forms.BoundField]]]

FieldT = TypeVar("FieldT", bound=forms.Field)


def field_of(form: forms.BaseForm, name: str, kind: type[FieldT]) -> FieldT:
    """`form.fields[name]` as the kind of field it is, to set what only that kind has: a
    queryset, choices, an empty label. A field of another kind fails here, named, rather than
    somewhere in a template."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def without_blank_choice(form: forms.BaseForm, *names: str) -> None:
    """Radio buttons need no "---------" choice: each of these fields must be answered."""
    for name in names:
        field = field_of(form, name, forms.ChoiceField)
        choices = field.choices
        # Django keeps whatever choices it was given as an iterable of pairs.
        if not isinstance(choices, Iterable):
            raise TypeError(f"{name} has no choices to leave the blank one out of")
        field.choices = [choice for choice in choices if choice[0] != ""]
