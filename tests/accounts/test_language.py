"""Choosing a language: on the sign-in page without an account, in My account for oneself, and
the messages sent to a person in theirs."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in


def in_language(code: str, text: str) -> str:
    with translation.override(code):
        return translation.gettext(text)


@pytest.mark.django_db
def test_the_sign_in_page_offers_every_language_in_its_own_words(client: Client) -> None:
    page = client.get("/login/")

    assert page.status_code == 200
    text = page.content.decode()
    for name in ["English", "Español", "Français", "العربية", "ไทย", "Filipino", "Português"]:
        assert name in text
    assert 'action="/login/language/"' in text


@pytest.mark.django_db
def test_switching_on_the_sign_in_page_needs_no_account_and_is_kept_in_the_browser(
    client: Client,
) -> None:
    answer = client.post("/login/language/", {"language": "es"})
    page = client.get("/login/")

    assert answer.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    spanish = in_language("es", "Step 1 of 2: your username and password.")
    assert spanish != "Step 1 of 2: your username and password."
    assert spanish in page.content.decode()
    assert '<html lang="es"' in page.content.decode()


@pytest.mark.django_db
def test_a_language_not_offered_changes_nothing(client: Client) -> None:
    with translation.override("en"):
        answer = client.post("/login/language/", {"language": "xx"})

    assert answer.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in client.cookies
    assert "Step 1 of 2" in client.get("/login/").content.decode()


def test_my_account_keeps_the_choice_for_every_device_and_records_it(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)

    answer = client.post("/account/language/", {"language": "ar"})
    home = Client()
    sign_in(home, staff)
    page = home.get("/account/")

    assert answer.status_code == 302
    staff.refresh_from_db()
    assert staff.language == "ar"
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl"' in page.content.decode()
    assert in_language("ar", "My account") in page.content.decode()
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).latest("at")
    assert (event.actor, event.fields) == (staff, ["language"])


def test_choosing_none_again_leaves_it_to_the_browser(client: Client, staff: User) -> None:
    staff.language = "fr"
    staff.save()
    sign_in(client, staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    client.post("/account/language/", {"language": ""})
    spanish = client.get("/account/", headers={"accept-language": "es"})

    staff.refresh_from_db()
    assert staff.language == ""
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""
    assert spanish.status_code == 200
    assert in_language("es", "My account") in spanish.content.decode()
