import pytest
from django import forms

from safespaces.forms import field_of, without_blank_choice


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
