"""Every page, in every shipped language, shows no sentence of the interface in English.

Each page of the URL walk is opened in each language by a persona its rule allows (the records of
tests/test_authorization.py's `samples`). Each piece of its text (between two tags, or a
`title`, `aria-label`, `placeholder` or `alt`) is compared with every English sentence of the
catalogue whose translation differs: a piece that is one of them is English left on the page.
One-word strings are left out, as data may be one word. Not caught: English inside a longer
piece. Django's own strings are checked by tests/test_django_strings.py, and on the pages of the
main journeys, error messages included, by tests/test_journeys_translated.py. See
docs/translation.md.
"""

import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

from safespaces.access import Access
from safespaces.accounts.models import User
from tests.incidents.conftest import attachments_dir  # noqa: F401 - a fixture used here too
from tests.test_authorization import client_for, samples, users  # noqa: F401 - fixtures
from tests.test_catalogues import CATALOGUES, language
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


def sentences(catalogue: polib.POFile) -> list[str]:
    """The English of every entry worth looking for: two words or more, no placeholder or tag
    (those are formatted before they show), translated differently."""
    found = []
    for entry in catalogue:
        english = SPACE.sub(" ", entry.msgid).strip()
        if (
            not entry.obsolete
            and not entry.msgid_plural
            and " " in english
            and len(english) >= 10
            and not re.search(r"[%{<]", english)
            and SPACE.sub(" ", entry.msgstr).strip() != english
        ):
            found.append(english)
    return found


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
    looked_for = sentences(polib.pofile(str(path)))
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
        texts = visible_texts(response.content.decode())
        leftovers += [f"{route.name}: {english!r}" for english in looked_for if english in texts]

    assert opened > 50
    assert not leftovers, "\n".join(leftovers)
