"""Every shipped translation catalogue is complete and safe to compile.

A catalogue fails when an entry is untranslated or fuzzy, when a placeholder, a plural form or an
HTML tag differs from the English, when `msgfmt --check` refuses it, or when the code holds a
string (makemessages would add it) that the catalogue lacks: a page would then show English in
the middle of another language. See docs/translation.md.
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest

PROJECT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted(PROJECT.glob("locale/*/LC_MESSAGES/django.po"))
# Django's own strings that our pages show, where Django's catalogue lacks them
# (docs/translation.md).
DJANGO_CATALOGUES = sorted(PROJECT.glob("locale/django/*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdif]|%[sdif]|\{[a-z_0-9]+\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>")


def language(path: Path) -> str:
    return ("django-" if path in DJANGO_CATALOGUES else "") + path.parents[1].name


def problems(catalogue: polib.POFile) -> list[str]:
    plural_forms = catalogue.metadata.get("Plural-Forms", "")
    counted = re.search(r"nplurals=(\d+)", plural_forms)
    if counted is None:
        return [f"no number of plural forms in the header: {plural_forms!r}"]
    forms_wanted = int(counted.group(1))
    found = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        where = entry.msgid[:60]
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {where}")
        if entry.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(forms_wanted)]
        else:
            forms = [entry.msgstr]
        if not all(forms):
            found.append(f"untranslated: {where}")
            continue
        named = Counter(PLACEHOLDER.findall(entry.msgid))
        tags = Counter(TAG.findall(entry.msgid))
        for form in forms:
            got = Counter(PLACEHOLDER.findall(form))
            if entry.msgid_plural:
                # A form may leave the count out ("one", "two" in Arabic), never add one.
                known = set(named) | set(PLACEHOLDER.findall(entry.msgid_plural))
                if set(got) - known:
                    found.append(f"placeholder not in the English: {where}")
            elif got != named:
                found.append(
                    f"placeholders {dict(got)} where the English has {dict(named)}: {where}"
                )
            if Counter(TAG.findall(form)) != tags:
                found.append(f"HTML tags differ from the English: {where}")
    return found


def test_there_are_catalogues_to_check() -> None:
    assert {language(path) for path in CATALOGUES} >= {"es", "fr", "ar", "pt", "tl", "th"}


@pytest.mark.parametrize("path", CATALOGUES + DJANGO_CATALOGUES, ids=language)
def test_a_catalogue_is_complete_and_keeps_every_placeholder_and_tag(path: Path) -> None:
    assert problems(polib.pofile(str(path))) == []


@pytest.mark.parametrize("path", CATALOGUES + DJANGO_CATALOGUES, ids=language)
def test_msgfmt_accepts_the_catalogue(path: Path) -> None:
    checked = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
    )

    assert checked.returncode == 0, checked.stderr


def test_every_string_in_the_code_is_in_every_catalogue(tmp_path: Path) -> None:
    # makemessages writes into the tree it runs in: run it on a copy of the tracked files.
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (PROJECT / name).is_file() and not name.startswith(("tests/", "benchmarks/")):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / name, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--keep-pot", "-l", "en", "--verbosity=0"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    in_code = {(e.msgctxt, e.msgid) for e in polib.pofile(str(tmp_path / "locale/django.pot"))}

    for path in CATALOGUES:
        catalogue = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}
        assert sorted(m for _c, m in in_code - catalogue) == [], language(path)


@pytest.mark.parametrize(
    "path", [p for p in CATALOGUES + DJANGO_CATALOGUES if p.parents[1].name == "ar"], ids=language
)
def test_arabic_plurals_say_one_two_and_a_few_differently(path: Path) -> None:
    # Arabic counts one, two, three to ten and eleven on differently ("حادثة واحدة", "حادثتان",
    # "٣ حوادث", "١١ حادثة"): an entry whose forms are copies of one reads wrong for most counts.
    copied = [
        entry.msgid[:60]
        for entry in polib.pofile(str(path))
        if entry.msgid_plural
        and entry.msgid_plural != entry.msgid
        and len({entry.msgstr_plural[i] for i in (1, 2, 3)}) < 3
    ]

    assert copied == []
