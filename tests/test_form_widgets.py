"""The form templates the app writes its own way (templates/django/forms/) render what Django's
own do."""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.test.html import parse_html

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


def test_a_select_renders_as_django_s_own_template_does() -> None:
    data = {"one": "digital", "many": ["physical", "other"], "maybe": "true"}
    ours, django_s = Choosing(data), Choosing(data, renderer=DjangoTemplates())

    for name in Choosing.base_fields:
        assert parse_html(str(ours[name])) == parse_html(str(django_s[name])), name
    one = str(ours["one"])
    assert '<option value="digital" selected>Digital &amp; data</option>' in one
    assert '<optgroup label="Harm">' in one and "Physical &lt;harm&gt;" in one
    assert 'aria-describedby="id_one_helptext"' in one
