"""Quick exit: one tap, or Shift three times, and the app is gone from the screen and history."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NEUTRAL_SITE, Persona, go_to_neutral_site_offline, sign_in

pytestmark = pytest.mark.browser


def assert_history_shows_nothing_of_the_app(page: Page, persona: Persona) -> None:
    """Every page Back reaches is the neutral site or the sign-in page, never a signed-in one."""
    greeting = page.get_by_role("heading", name=f"Hello, {persona.display_name}")
    while page.go_back() is not None:
        assert page.url == NEUTRAL_SITE or page.url.endswith("/login/"), page.url
        expect(greeting).to_have_count(0)
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_the_quick_exit_button_replaces_the_app_with_a_neutral_site(
    page: Page, rosa: Persona
) -> None:
    go_to_neutral_site_offline(page.context)
    sign_in(page, rosa)
    cookies_before = page.context.cookies()

    page.get_by_role("link", name="Quick exit").click()

    expect(page).to_have_url(NEUTRAL_SITE)
    expect(page).to_have_title("Weather")
    # Clear-Site-Data made the browser forget the session.
    assert [c["name"] for c in page.context.cookies()] == []
    assert_history_shows_nothing_of_the_app(page, rosa)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/$"))
    # Even a copy of the old session cookie opens nothing: the server ended the session.
    page.context.add_cookies(cookies_before)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_pressing_shift_three_times_replaces_the_app_with_a_neutral_site(
    page: Page, amina: Persona
) -> None:
    go_to_neutral_site_offline(page.context)
    sign_in(page, amina)

    for _ in range(3):
        page.keyboard.press("Shift")

    expect(page).to_have_url(NEUTRAL_SITE)
    expect(page).to_have_title("Weather")
    assert_history_shows_nothing_of_the_app(page, amina)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_typing_capital_letters_does_not_trigger_the_quick_exit(page: Page) -> None:
    go_to_neutral_site_offline(page.context)
    page.goto("/login/")
    page.get_by_label("Username").focus()

    # Three capitals, each typed with Shift held down as a person does.
    for letter in "MAL":
        page.keyboard.down("Shift")
        page.keyboard.press(letter)
        page.keyboard.up("Shift")

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_label("Username")).to_have_value("MAL")
