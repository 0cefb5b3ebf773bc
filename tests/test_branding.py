"""What a page shows of the app: the pages anyone holding the phone can reach name nothing, and
neutral mode makes every page plain "Notes"."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client, override_settings

from safespaces.accounts.models import User
from tests.accounts.test_login import log_in
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parents[1]
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


def test_pages_that_name_the_app_in_their_text_use_its_name(
    client: Client, coordinator: User
) -> None:
    signed_in = sign_in(client, coordinator)

    normal = signed_in.get("/people/new/")
    with override_settings(NEUTRAL_MODE=True):
        neutral = signed_in.get("/people/new/")

    assert normal.status_code == neutral.status_code == 200
    assert b"The alias is seen by everyone using SafeSpaces." in normal.content
    assert b"The alias is seen by everyone using Notes." in neutral.content
    assert b"SafeSpaces" not in neutral.content


@override_settings(NEUTRAL_MODE=True, NEUTRAL_TITLE="Recipes")
def test_an_organization_may_choose_its_own_neutral_name(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/")

    assert title_of(response.content) == "Recipes"
    assert b'class="brand" href="/">Recipes</a>' in response.content


def issuer_when(**variables: str) -> str:
    """The authenticator apps' name for the codes, as a fresh process reads the environment."""
    names = {"NEUTRAL_MODE", "NEUTRAL_TITLE", "OTP_ISSUER", "SITE_TITLE"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env |= {"DJANGO_SETTINGS_MODULE": "safespaces.settings", "DEBUG": "true"}
    env |= {name: "" for name in names - {"NEUTRAL_MODE"}} | variables
    script = "import django; django.setup(); from django.conf import settings; "
    script += "print(settings.OTP_TOTP_ISSUER)"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_authenticator_apps_list_the_codes_under_the_neutral_name_in_neutral_mode() -> None:
    assert issuer_when(NEUTRAL_MODE="true") == "Notes"
    assert issuer_when(NEUTRAL_MODE="true", NEUTRAL_TITLE="Recipes") == "Recipes"
    assert issuer_when(NEUTRAL_MODE="false", SITE_TITLE="Garden Club") == "Garden Club"
    assert issuer_when(NEUTRAL_MODE="true", OTP_ISSUER="Our notes") == "Our notes"


def test_nothing_the_sign_in_page_loads_names_the_app(db: None) -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    loaded = re.findall(rb'(?:href|src)="/static/([^"]+)"', response.content)

    assert {b"css/app.css", b"js/quick-exit.js", b"img/notes.svg"} <= set(loaded)
    for path in loaded:
        assert b"SafeSpaces" not in (ROOT / "static" / path.decode()).read_bytes(), path
