"""Every string of Django's that our pages can show is translated in every shipped language.

Django's own catalogues lack some of them: it ships no Filipino at all, and its Thai and
Portuguese are incomplete. locale/django/ fills the gaps (docs/translation.md). The strings are
enumerated from what the pages use: each form's fields (error messages, validators, labels, help
texts, choices), the forms' and formsets' own messages, the password validators in settings, the
template filters of Django's our templates use, and the month and weekday names and the
a.m./p.m. of the date formats the code and each language use.
"""

import importlib
import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

import polib
import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.password_validation import get_default_password_validators
from django.utils import dates, formats, translation
from django.utils.functional import Promise
from django.utils.translation import trans_real

from tests.test_catalogues import CATALOGUES, DJANGO_CATALOGUES, PROJECT, language
from tests.wheel import checkout_files

# (context, singular, plural): the key of an entry in a catalogue.
Message = tuple[str | None, str, str | None]

DJANGO = Path(forms.__file__).resolve().parents[1]
# Every shipped language, whichever of them this deployment's settings offer.
LANGUAGES = [language(path) for path in CATALOGUES]
# What each password validator can say: its help text (under the password field) and its error.
# Django formats them when it calls them, so they cannot be read off the validator.
PASSWORD_VALIDATORS: dict[str, list[Message]] = {
    "UserAttributeSimilarityValidator": [
        (None, "The password is too similar to the %(verbose_name)s.", None),
        (None, "Your password can’t be too similar to your other personal information.", None),
    ],
    "MinimumLengthValidator": [
        (
            None,
            "This password is too short. It must contain at least %d character.",
            "This password is too short. It must contain at least %d characters.",
        ),
        (
            None,
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
        ),
    ],
    "CommonPasswordValidator": [
        (None, "This password is too common.", None),
        (None, "Your password can’t be a commonly used password.", None),
    ],
    "NumericPasswordValidator": [
        (None, "This password is entirely numeric.", None),
        (None, "Your password can’t be entirely numeric.", None),
    ],
}
# What a template filter of Django's says, for the filters our templates use. Attachments stay
# under 20 MB (FILE_UPLOAD_MAX_MEMORY_SIZE), so sizes show in bytes, KB or MB.
FILTERS: dict[str, list[Message]] = {
    "filesizeformat": [
        (None, "%(size)d byte", "%(size)d bytes"),
        (None, "%s KB", None),
        (None, "%s MB", None),
    ],
}
FILTER_IN_TEMPLATE = re.compile(r"\|(\w+)")
# The names a date format letter shows (django.utils.dateformat).
NAMES: dict[str, Iterable[object]] = {
    "F": dates.MONTHS.values(),
    "M": dates.MONTHS_3.values(),
    "b": dates.MONTHS_3.values(),
    "N": dates.MONTHS_AP.values(),
    "E": dates.MONTHS_ALT.values(),
    "D": dates.WEEKDAYS_ABBR.values(),
    "l": dates.WEEKDAYS.values(),
}
MERIDIEM: dict[str, list[Message]] = {
    "a": [(None, "a.m.", None), (None, "p.m.", None)],
    "A": [(None, "AM", None), (None, "PM", None)],
    "P": [(None, s, None) for s in ("a.m.", "p.m.", "midnight", "noon")],
}
# A date format written in a template (|date:"j M Y") or in Python (date_format(d, "F Y")).
FORMAT_IN_CODE = re.compile(r'\|(?:date|time):"([^"]+)"|date_format\([^,()]+, "([^"]+)"\)')
NAMED_FORMATS = ["DATE_FORMAT", "DATETIME_FORMAT", "TIME_FORMAT", "SHORT_DATE_FORMAT"]


def message_of(text: object) -> Message | None:
    """The catalogue key of a lazily translated string, None for anything else."""
    if not isinstance(text, Promise):
        return None
    args, kw = getattr(text, "_args", ()), getattr(text, "_kw", {})
    if "singular" in kw:
        return kw.get("context"), kw["singular"], kw["plural"]
    if len(args) == 2:  # pgettext_lazy(context, message)
        return args[0], args[1], None
    if len(args) == 1:
        return None, args[0], None
    return None


def project_forms() -> set[type[forms.BaseForm]]:
    """The form classes in or used by the project's apps: those their forms and views name."""
    return {cls for cls in project_classes() if issubclass(cls, forms.BaseForm)}


def project_classes() -> set[type]:
    """The classes the forms and views modules of the project's apps name."""
    found: set[type] = set()
    # The virtual environment may lie inside the checkout (make's .venv): its apps are not ours.
    installed = Path(sys.prefix).resolve()
    for app in apps.get_app_configs():
        where = Path(app.path).resolve()
        if not where.is_relative_to(PROJECT) or where.is_relative_to(installed):
            continue
        for part in ("forms", "views"):
            try:
                module = importlib.import_module(f"{app.name}.{part}")
            except ModuleNotFoundError:
                continue
            found |= {value for value in vars(module).values() if inspect.isclass(value)}
    return found


def texts_of_a_field(field: forms.Field) -> Iterator[object]:
    yield from field.error_messages.values()
    yield from (getattr(validator, "message", None) for validator in field.validators)
    yield field.label
    yield field.help_text
    choices = getattr(field, "choices", None)
    if isinstance(choices, list):
        for _value, label in choices:
            grouped = isinstance(label, list | tuple)  # (group name, [(value, label), ...])
            yield from (inner for _v, inner in label) if grouped else [label]
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        # Django reads a chosen key with the model's own field first: a key of the wrong form
        # ("nobody" for a UUID) shows that field's message, not the form field's.
        yield queryset.model._meta.pk.error_messages["invalid"]
    widget_choices = getattr(field.widget, "choices", None)
    if isinstance(field.widget, forms.NullBooleanSelect) and widget_choices:
        yield from (label for _value, label in widget_choices)


def texts_of_a_form(form: type[forms.BaseForm]) -> Iterator[object]:
    for cls in form.__mro__:
        own = vars(cls).get("error_messages")
        if isinstance(own, dict):
            yield from own.values()
    for field in getattr(form, "base_fields", {}).values():
        yield from texts_of_a_field(field)


def formset_messages() -> Iterator[object]:
    """A formset's own messages ("Please submit at most 30 forms."), for each formset."""
    for formset in project_classes():
        if issubclass(formset, forms.BaseFormSet):
            for cls in formset.__mro__:
                yield from vars(cls).get("default_error_messages", {}).values()


def source_files(*suffixes: str) -> list[Path]:
    """The checkout's own files with these suffixes, the tests' aside: git's list, whatever
    else lies in the folder (a virtual environment, collected static files, a build)."""
    return [
        PROJECT / name
        for name in checkout_files()
        if name.suffix in suffixes and name.parts[0] != "tests"
    ]


def filter_messages() -> set[Message]:
    used = set()
    for path in source_files(".html"):
        used |= set(FILTER_IN_TEMPLATE.findall(path.read_text(encoding="utf-8")))
    return {message for name in used & set(FILTERS) for message in FILTERS[name]}


def formats_in_code() -> set[str]:
    """Every date format the code writes."""
    found = set()
    for path in source_files(".html", ".py"):
        for match in FORMAT_IN_CODE.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def date_messages(code: str, in_code: set[str]) -> set[Message]:
    """The names the dates of a language show: those of the letters of the formats in the code
    and of the language's own named formats."""
    named = {each for each in in_code if each in formats.FORMAT_SETTINGS} | set(NAMED_FORMATS)
    written = [*(in_code - named), *(str(formats.get_format(name, lang=code)) for name in named)]
    # A backslash keeps the next letter as it is: Spanish "j \\d\\e F" shows "de", no day.
    letters = set("".join(re.sub(r"\\.", "", each) for each in written))
    found = {message_of(name) for letter in letters & set(NAMES) for name in NAMES[letter]}
    for letter in letters & set(MERIDIEM):
        found |= set(MERIDIEM[letter])
    return {message for message in found if message is not None}


def messages_our_pages_show(code: str, in_code: set[str]) -> set[Message]:
    found = {message_of(text) for form in project_forms() for text in texts_of_a_form(form)}
    found |= {message_of(text) for text in formset_messages()} | filter_messages()
    validators = {type(v).__name__ for v in get_default_password_validators()}
    for name in validators:
        found |= set(PASSWORD_VALIDATORS[name])
    return {message for message in found if message is not None} | date_messages(code, in_code)


def django_catalogue() -> set[Message]:
    """Every string Django (its core and contrib.auth, which our pages use) can translate."""
    found = set()
    for part in ("conf", "contrib/auth"):
        for entry in polib.pofile(str(DJANGO / part / "locale/en/LC_MESSAGES/django.po")):
            found.add((entry.msgctxt, entry.msgid, entry.msgid_plural or None))
    return found


def untranslated(code: str, messages: Iterable[Message]) -> list[str]:
    """The messages the language's merged catalogue (ours over Django's) has no entry for. The
    catalogue is asked, not gettext: some words are rightly the same as the English ("May")."""
    catalogue = trans_real.translation(code)._catalog
    missing = []
    for context, singular, plural in messages:
        key = f"{context}\x04{singular}" if context else singular
        if (key, 0) not in catalogue if plural else key not in catalogue:
            missing.append(singular)
    return sorted(missing)


@pytest.fixture(scope="module")
def shown() -> dict[str, set[Message]]:
    in_code = formats_in_code()
    return {code: messages_our_pages_show(code, in_code) for code in LANGUAGES}


def test_the_forms_messages_are_found(shown: dict[str, set[Message]]) -> None:
    filipino = shown["tl"]

    assert (None, "This field is required.", None) in filipino
    assert (None, "Enter a valid date.", None) in filipino
    assert (None, "The two password fields didn’t match.", None) in filipino
    assert (None, "This password is too common.", None) in filipino
    assert (None, "December", None) in filipino
    assert (None, "PM", None) in filipino  # the Filipino time format's "g:i A"
    assert (None, "%s KB", None) in filipino  # an attachment's size
    assert (
        None,
        "Please submit at most %(num)d form.",
        "Please submit at most %(num)d forms.",
    ) in (filipino)
    assert len(filipino & django_catalogue()) > 40


def test_every_password_validator_in_settings_is_known() -> None:
    in_settings = {type(v).__name__ for v in get_default_password_validators()}

    assert in_settings <= set(PASSWORD_VALIDATORS)
    assert {m for ms in PASSWORD_VALIDATORS.values() for m in ms} <= django_catalogue()


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_django_string_our_pages_show_is_translated(
    code: str, shown: dict[str, set[Message]]
) -> None:
    assert untranslated(code, shown[code] & django_catalogue()) == []


@pytest.mark.parametrize("path", DJANGO_CATALOGUES, ids=language)
def test_the_django_catalogue_holds_only_django_strings_our_pages_show(
    path: Path, shown: dict[str, set[Message]]
) -> None:
    entries = {
        (e.msgctxt, e.msgid, e.msgid_plural or None)
        for e in polib.pofile(str(path))
        if not e.obsolete
    }

    assert entries
    assert entries - django_catalogue() == set()
    assert entries - shown[path.parents[1].name] == set()


def test_a_django_string_we_translate_reaches_the_page() -> None:
    field = forms.DateField()
    with translation.override("tl"):
        errors = field.error_messages["invalid"], field.error_messages["required"]

        assert [str(e) for e in errors] == ["Maglagay ng tamang petsa.", "Kailangan ito."]


def test_arabic_plurals_of_django_our_pages_show_say_one_two_and_a_few_differently(
    shown: dict[str, set[Message]],
) -> None:
    # Each counts a noun (a character, a form, a byte), which Arabic says four ways for one, two,
    # three to ten and eleven on. Django's own Arabic copies some forms from one another ("12
    # أحرف" where 12 takes "حرفًا"), and locale/django/ar corrects those we show.
    catalogue = trans_real.translation("ar")._catalog
    copied = []
    for context, singular, plural in shown["ar"] & django_catalogue():
        key = f"{context}\x04{singular}" if context else singular
        if plural and plural != singular:
            forms = {catalogue.get((key, form)) for form in (1, 2, 3, 4)}
            if len(forms) < 4:
                copied.append(singular)

    assert sorted(copied) == []


def test_portuguese_pages_say_senha_and_arquivo_as_the_glossary_does(
    shown: dict[str, set[Message]],
) -> None:
    catalogue = trans_real.translation("pt")._catalog
    said = []
    for context, singular, plural in shown["pt"] & django_catalogue():
        key = f"{context}\x04{singular}" if context else singular
        said.append(str(catalogue.get((key, 0) if plural else key, "")))
    european = [text for text in said if re.search(r"palavra-passe|ficheiro|[Ii]ntroduza", text)]

    assert european == []
    assert "Informe uma data válida." in said and "Nova senha" in said


def test_filipino_dates_and_numbers_follow_philippine_usage() -> None:
    with translation.override("tl"):
        assert formats.date_format(date(2026, 12, 4)) == "Disyembre 4, 2026"
        assert formats.date_format(date(2026, 2, 9), "j M Y") == "9 Peb 2026"
        assert formats.date_format(datetime(2026, 6, 1, 15, 5), "DATETIME_FORMAT") == (
            "Hunyo 1, 2026, 3:05 PM"
        )
        assert formats.number_format(12345.5, decimal_pos=1, force_grouping=True) == "12,345.5"
