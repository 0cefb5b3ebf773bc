"""Quick exit: one tap, or Shift three times, and the app is gone from the screen and history.

A page cannot remove entries from its tab's history: the pages opened before the exit stay, and
Back reaches them. What a browser does allow, and what is checked here: the exit adds no entry
of its own (the script and the server's redirect both replace the current one, so history.length
does not grow), the current entry becomes the neutral site, and every earlier entry now opens the
signed-out sign-in page, whose title and icon name nothing. Clearing the rest is up to the person
(docs/using.md says how on common phones).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NEUTRAL_SITE, Persona, go_to_neutral_site_offline, sign_in

pytestmark = pytest.mark.browser

NOTES_ICON = "/static/img/notes.svg"
TYPED = "Van outside the Shelter again, same driver as Tuesday"


def history_length(page: Page) -> int:
    return page.evaluate("history.length")


def assert_names_nothing(page: Page) -> None:
    """The title, the page and its icon say nothing of the app."""
    assert "SafeSpaces" not in page.title(), page.title()
    assert "SafeSpaces" not in page.content()
    expect(page.locator('link[rel="icon"]')).to_have_attribute("href", NOTES_ICON)


def assert_history_shows_nothing_of_the_app(page: Page, persona: Persona) -> None:
    """Every page Back reaches is the neutral site or the sign-in page, never a signed-in one,
    and none names the app."""
    greeting = page.get_by_role("heading", name=f"Hello, {persona.display_name}")
    steps = 0
    while page.go_back() is not None:
        steps += 1
        assert page.url == NEUTRAL_SITE or page.url.endswith("/login/"), page.url
        expect(greeting).to_have_count(0)
        expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
        if page.url.endswith("/login/"):
            expect(page).to_have_title("Sign in · Notes")
            assert_names_nothing(page)
    # The sign-in steps and the signed-in pages opened before the exit were all there to go back to.
    assert steps >= 2, steps


def test_the_quick_exit_button_replaces_the_app_with_a_neutral_site(
    page: Page, rosa: Persona
) -> None:
    go_to_neutral_site_offline(page.context)
    sign_in(page, rosa)
    cookies_before = page.context.cookies()
    entries_before = history_length(page)

    page.get_by_role("link", name="Quick exit").click()

    expect(page).to_have_url(NEUTRAL_SITE)
    expect(page).to_have_title("Weather")
    # The exit replaced the page: no entry of its own for Back to find.
    assert history_length(page) == entries_before
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


def test_what_was_typed_in_the_log_form_is_there_after_signing_in_again(
    page: Page, wren: Persona
) -> None:
    go_to_neutral_site_offline(page.context)
    sign_in(page, wren)
    page.get_by_role("main").get_by_role("link", name="Log an incident").click()
    expect(page.get_by_role("heading", level=1, name="Log an incident")).to_be_visible()
    # Typed key by key, capitals with Shift held as a person types them: none of these count.
    page.get_by_label("In a few words").press_sequentially(TYPED)
    entries_before = history_length(page)

    for _ in range(3):
        page.keyboard.press("Shift")

    expect(page).to_have_url(NEUTRAL_SITE)
    expect(page).to_have_title("Weather")
    assert history_length(page) == entries_before
    # Back from the neutral site: the log form's entry, now the signed-out sign-in page.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page).to_have_title("Sign in · Notes")
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    assert_names_nothing(page)
    expect(page.get_by_text(TYPED)).to_have_count(0)

    sign_in(page, wren)
    page.get_by_role("main").get_by_role("link", name="Log an incident").click()

    expect(page.get_by_text("This is your unsent report from")).to_be_visible()
    expect(page.get_by_label("In a few words")).to_have_value(TYPED)


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
