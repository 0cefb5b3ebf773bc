"""What a page shows of the app: the pages anyone holding the phone can reach name nothing, and
neutral mode makes every page plain "Notes"."""

import re

from django.test import Client, override_settings

from safespaces.accounts.models import User
from tests.accounts.test_login import log_in
from tests.conftest import sign_in

APP_ICON = "/static/img/favicon.svg"
NOTES_ICON = "/static/img/notes.svg"


def title_of(content: bytes) -> str:
    found = re.search(rb"<title>(.*?)</title>", content, re.DOTALL)
    assert found is not None, "the page has no title"
    return found.group(1).decode()


def icon_of(content: bytes) -> str:
    found = re.search(rb'<link rel="icon" href="([^"]+)"', content)
    assert found is not None, "the page has no icon"
    return found.group(1).decode()


def test_the_sign_in_page_names_nothing_even_without_neutral_mode(db: None) -> None:
    # What Back shows after a quick exit, and what an open tab shows once a session ends.
    response = Client().get("/login/")

    assert response.status_code == 200
    assert title_of(response.content) == "Sign in · Notes"
    assert b"<h1>Sign in</h1>" in response.content
    assert icon_of(response.content) == NOTES_ICON
    assert b"SafeSpaces" not in response.content
    assert b"favicon.svg" not in response.content


def test_the_second_step_names_nothing_but_the_authenticator_entry(staff: User) -> None:
    client = Client()
    log_in(client, "lin")

    with override_settings(NEUTRAL_MODE=True, OTP_TOTP_ISSUER="Notes"):
        response = client.get("/login/verify/")

    assert response.status_code == 200
    assert title_of(response.content) == "Notes"
    assert b"type the 6-digit code for Notes" in response.content
    assert b"SafeSpaces" not in response.content


def test_signed_in_pages_show_the_app_name_and_icon(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/")

    assert response.status_code == 200
    assert title_of(response.content) == "Home · SafeSpaces"
    assert icon_of(response.content) == APP_ICON
    assert b'class="brand" href="/">SafeSpaces</a>' in response.content


@override_settings(NEUTRAL_MODE=True)
def test_in_neutral_mode_the_sign_in_page_is_plain_notes(db: None) -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    # The title alone: a browser's history keeps every title it was shown.
    assert title_of(response.content) == "Notes"
    assert b"<h1>Sign in</h1>" in response.content
    assert icon_of(response.content) == NOTES_ICON
    assert b'class="brand" href="/">Notes</a>' in response.content
    assert b"SafeSpaces" not in response.content


@override_settings(NEUTRAL_MODE=True)
def test_in_neutral_mode_signed_in_pages_are_plain_notes(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/incidents/new/")

    assert response.status_code == 200
    assert title_of(response.content) == "Notes"
    assert icon_of(response.content) == NOTES_ICON
    assert b'class="brand" href="/">Notes</a>' in response.content
    # The page itself still says what it is.
    assert b"<h1>Log an incident</h1>" in response.content
    assert b"SafeSpaces" not in response.content


@override_settings(NEUTRAL_MODE=True, NEUTRAL_TITLE="Recipes")
def test_an_organization_may_choose_its_own_neutral_name(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/")

    assert title_of(response.content) == "Recipes"
    assert b'class="brand" href="/">Recipes</a>' in response.content
