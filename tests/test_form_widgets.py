"""The form templates the app writes its own way (templates/django/forms/) render what Django's
own do."""

import re
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html

from incidents.forms import KindChoice

CHOICES = [
    ("", "Any"),
    ("Harm", [("physical", "Physical <harm>"), ("digital", "Digital & data")]),
    ("other", "Other"),
]


class Choosing(forms.Form):
    one = forms.ChoiceField(choices=CHOICES, required=False, help_text="Pick one.")
    many = forms.MultipleChoiceField(choices=CHOICES)
    maybe = forms.NullBooleanField(required=False)
    off = forms.ChoiceField(choices=CHOICES, disabled=True, required=False)
    # Inputs: radio buttons and check boxes of a list, a check box, text, a date, hidden.
    kind = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, help_text="As it was.")
    several = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    agree = forms.BooleanField(required=False)
    name = forms.CharField(max_length=20, help_text="A name <b>or</b> an alias.")
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    code = forms.CharField(widget=forms.HiddenInput, required=False)
    count = forms.IntegerField(min_value=0)  # an attribute whose value is falsy: min="0"


DATA = {
    "one": "digital",
    "many": ["physical", "other"],
    "maybe": "true",
    "kind": "digital",
    "several": ["physical", "other"],
    "agree": "on",
    "name": 'Rosa "R" <O>',
    "when": "2026-12-04",
    "code": "a&b",
    "count": "3",
}


def test_every_field_renders_as_django_s_own_templates_do() -> None:
    ours, django_s = Choosing(DATA), Choosing(DATA, renderer=DjangoTemplates())

    for name in Choosing.base_fields:
        assert parse_html(str(ours[name])) == parse_html(str(django_s[name])), name


def test_a_select_writes_its_options_and_their_attributes() -> None:
    one = str(Choosing(DATA)["one"])

    assert '<option value="digital" selected>Digital &amp; data</option>' in one
    assert '<optgroup label="Harm">' in one and "Physical &lt;harm&gt;" in one
    assert 'aria-describedby="id_one_helptext"' in one


def test_inputs_write_their_attributes_and_escape_their_values() -> None:
    form = Choosing(DATA)

    radio = (
        '<label for="id_kind_1_1"><input type="radio" name="kind" value="digital" required '
        'id="id_kind_1_1" checked> Digital &amp; data</label>'
    )
    assert parse_html(radio) in parse_html(str(form["kind"]))
    assert str(form["several"]).count(" checked") == 2
    assert 'name="name" value="Rosa &quot;R&quot; &lt;O&gt;"' in str(form["name"])
    assert 'maxlength="20"' in str(form["name"]) and "required" in str(form["name"])
    assert 'type="date" name="when" value="2026-12-04"' in str(form["when"])
    assert 'type="hidden" name="code" value="a&amp;b"' in str(form["code"])
    assert 'type="checkbox" name="agree"' in str(form["agree"]) and "checked" in str(form["agree"])
    assert 'min="0"' in str(form["count"])


def test_the_incident_kinds_write_the_labels_and_inputs_django_s_radios_do() -> None:
    kinds = [("threat", "Threat"), ("incident", "Incident <harm>"), ("near_miss", "Near & miss")]

    class Kinds(forms.Form):
        kind = forms.ChoiceField(choices=kinds, widget=KindChoice)

    class Radios(forms.Form):
        kind = forms.ChoiceField(choices=kinds, widget=forms.RadioSelect)

    def labels(html: str) -> list[Any]:
        return [parse_html(label) for label in re.findall(r"<label.*?</label>", html, re.S)]

    ours = str(Kinds({"kind": "near_miss"})["kind"])
    django_s = str(Radios({"kind": "near_miss"}, renderer=DjangoTemplates())["kind"])

    assert ours.startswith('<div class="kind-choices" id="id_kind">')
    assert len(labels(ours)) == 3
    assert labels(ours) == labels(django_s)
