"""Every page, in every shipped language, shows no sentence of the interface in English.

Each page of the URL walk is opened in each language by a persona its rule allows (the records of
tests/test_authorization.py's `samples`). Each piece of its text (between two tags, or a
`title`, `aria-label`, `placeholder` or `alt`) is compared with every English sentence of the
catalogue, and of Django's core and contrib.auth, whose translation differs, a sentence with
placeholders whatever fills them: a piece that is one of them is English left on the page.
One-word strings are left out, as data may be one word. Not caught: English inside a longer
piece. The error messages of the main journeys are read by tests/test_journeys_translated.py.
See docs/translation.md.
"""

import html
import re
from collections.abc import Iterator
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils.translation import trans_real

from safespaces.access import Access
from safespaces.accounts.models import User
from tests.incidents.conftest import attachments_dir  # noqa: F401 - a fixture used here too
from tests.test_authorization import client_for, samples, users  # noqa: F401 - fixtures
from tests.test_catalogues import CATALOGUES, PLACEHOLDER, PROJECT, language
from tests.test_django_strings import DJANGO
from tests.urlwalk import ADMIN_NAMESPACE, Samples, walk

HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
ATTRIBUTE = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"')
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")
# Who opens a page of each rule: the lowest role it allows, which sees the samples.
PERSONA = {
    Access.PUBLIC: "anonymous",
    Access.PASSWORD_ONLY: "unverified",
    Access.SIGNED_IN: "staff",
    Access.STAFF: "staff",
    Access.COORDINATOR: "coordinator",
    Access.ADMINISTRATOR: "administrator",
}


def visible_texts(page: str) -> set[str]:
    """Each piece of text a reader meets: every text between tags, and the labels in
    attributes, with spaces evened out and a label's trailing colon left off."""
    shown = HIDDEN.sub(" ", page)
    pieces = TAG.split(shown) + ATTRIBUTE.findall(shown)
    texts = {SPACE.sub(" ", html.unescape(piece)).strip().rstrip(":").strip() for piece in pieces}
    return texts - {""}


OPENING_TAG = re.compile(r"<[a-zA-Z/]")
WORD = re.compile(r"[A-Za-z]{2,}")


class EnglishSentences:
    """The English sentences a page in one language must not show: two words or more, ten
    letters or more besides placeholders, translated differently in that language."""

    def __init__(self, code: str) -> None:
        self.exact: set[str] = set()
        patterns: list[str] = []
        for english in self._untranslated_english(code):
            parts = PLACEHOLDER.split(english)
            literal = "".join(parts).strip()
            if " " not in literal or len(literal) < 10 or OPENING_TAG.search(english):
                continue
            if len(parts) == 1:
                self.exact.add(english)
            # Around placeholders, two English words at least: "%(span)s: %(total)d incidents."
            # would otherwise find French, which says "incidents" too.
            elif len(WORD.findall(literal)) >= 2:
                patterns.append(".+?".join(re.escape(part) for part in parts))
        self.pattern = re.compile("|".join(patterns))

    @staticmethod
    def _untranslated_english(code: str) -> Iterator[str]:
        ours = polib.pofile(str(PROJECT / f"locale/{code}/LC_MESSAGES/django.po"))
        for entry in ours:
            shown = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
            if not entry.obsolete and SPACE.sub(" ", shown) != SPACE.sub(" ", entry.msgid):
                yield SPACE.sub(" ", entry.msgid).strip()
                if entry.msgid_plural:
                    yield SPACE.sub(" ", entry.msgid_plural).strip()
        catalogue = trans_real.translation(code)._catalog
        for part in ("conf", "contrib/auth"):
            for entry in polib.pofile(str(DJANGO / part / "locale/en/LC_MESSAGES/django.po")):
                key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
                shown = catalogue.get((key, 0) if entry.msgid_plural else key)
                if shown != entry.msgid:  # untranslated (None) or translated differently
                    yield SPACE.sub(" ", entry.msgid).strip()
                    if entry.msgid_plural:
                        yield SPACE.sub(" ", entry.msgid_plural).strip()

    def on(self, page: str) -> list[str]:
        texts = visible_texts(page)
        return sorted(t for t in texts if t in self.exact or self.pattern.fullmatch(t))


def test_the_text_of_a_page_leaves_out_scripts_and_keeps_labels() -> None:
    page = '<label>Your  password:</label><script>var x = "Sign out"</script>'
    page += '<a aria-label="Quick exit">Log &amp; <b>go</b></a>'

    assert visible_texts(page) == {"Your password", "Quick exit", "Log &", "go"}


@pytest.mark.parametrize("path", CATALOGUES, ids=language)
def test_no_page_shows_an_english_sentence(
    path: Path,
    users: dict[str, User],  # noqa: F811 - the fixture
    samples: Samples,  # noqa: F811 - the fixture
) -> None:
    code = language(path)
    english = EnglishSentences(code)
    clients: dict[str, Client] = {}
    opened, leftovers = 0, []
    for route in walk(samples=samples):
        if route.name.startswith(ADMIN_NAMESPACE + ":") or route.rule not in PERSONA:
            continue
        persona = PERSONA[route.rule]
        if persona not in clients:
            clients[persona] = client_for(persona, users)
            clients[persona].cookies[settings.LANGUAGE_COOKIE_NAME] = code
        response = clients[persona].get(route.path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        opened += 1
        leftovers += [f"{route.name}: {text!r}" for text in english.on(response.content.decode())]

    assert opened > 50
    assert not leftovers, "\n".join(leftovers)
