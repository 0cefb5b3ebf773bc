from datetime import date

import pytest
from django import forms
from django.utils import translation

from safespaces.forms import field_of, without_blank_choice
from tests.test_django_strings import LANGUAGES, project_forms


class Sample(forms.Form):
    answer = forms.ChoiceField(
        choices=[("", "---------"), ("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect
    )
    note = forms.CharField()


def test_field_of_gives_the_field_as_the_kind_asked_for() -> None:
    form = Sample()

    field = field_of(form, "answer", forms.ChoiceField)

    assert field is form.fields["answer"]


def test_field_of_names_a_field_of_another_kind() -> None:
    with pytest.raises(TypeError, match="note is a CharField, not a ChoiceField"):
        field_of(Sample(), "note", forms.ChoiceField)


def test_without_blank_choice_leaves_only_the_answers() -> None:
    form = Sample()

    without_blank_choice(form, "answer")

    choices = [("yes", "Yes"), ("no", "No")]
    assert list(form.fields["answer"].choices) == choices
    assert 'value=""' not in str(form["answer"])
    assert 'value="yes"' in str(form["answer"])


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_date_picker_shows_its_date_as_the_browser_reads_it(code: str) -> None:
    # A browser's date picker reads only 2026-12-04; a date written the reader's way
    # (04/12/2026 in Spanish) shows as empty, and saving the form would then erase it.
    pickers = [
        (form.__name__, name, field.widget)
        for form in project_forms()
        for name, field in getattr(form, "base_fields", {}).items()
        if isinstance(field.widget, forms.DateInput) and field.widget.input_type == "date"
    ]
    with translation.override(code):
        shown = {(f, n): widget.format_value(date(2026, 12, 4)) for f, n, widget in pickers}

    assert len(shown) >= 10
    assert {where: value for where, value in shown.items() if value != "2026-12-04"} == {}
