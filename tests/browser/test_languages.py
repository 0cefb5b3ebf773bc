"""Arabic and Thai on a cheap phone: the pages a field worker and a coordinator use most, in
their language, fit 360 px, pass axe, and keep left-to-right values (phone numbers, references)
left to right. One load of each page. And Filipino, chosen on the sign-in page, carries through
to a form and Django's own messages about its mistakes."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.browser.conftest import OpenPage, Persona
from tests.browser.test_checkins import PHONE, assert_fits_the_phone, screenshot

pytestmark = pytest.mark.browser

PAGES = ["login", "home", "incident-form", "incidents", "incident", "trends", "directory"]
# Where a left-to-right value sits in each page, when it has one.
LEFT_TO_RIGHT = {
    "incident": ".reference",
    "directory": 'a[href^="tel:"]',
    "actor-form": "#id_phone",
}


def check_page(open_page: OpenPage, name: str, language: str, direction: str) -> None:
    axe = Axe()
    page = open_page(name)

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", direction)
    assert_fits_the_phone(page, axe)
    if name in LEFT_TO_RIGHT:
        value = page.locator(LEFT_TO_RIGHT[name]).first
        assert value.evaluate("e => getComputedStyle(e).direction") == "ltr", name
    screenshot(page, f"{name}-{language}-360x640")
    page.context.close()


@pytest.mark.browser_context_args(**PHONE, locale="ar")
@pytest.mark.parametrize("name", [*PAGES, "actor-form"])
def test_arabic_pages_read_right_to_left_on_a_small_phone(open_page: OpenPage, name: str) -> None:
    check_page(open_page, name, "ar", "rtl")


@pytest.mark.browser_context_args(**PHONE, locale="th")
@pytest.mark.parametrize("name", PAGES)
def test_thai_pages_fit_a_small_phone(open_page: OpenPage, name: str) -> None:
    check_page(open_page, name, "th", "ltr")


def filipino(english: str) -> str:
    with translation.override("tl"):
        return translation.gettext(english)


@pytest.mark.browser_context_args(**PHONE, locale="en")
def test_filipino_chosen_on_the_sign_in_page_carries_to_a_form_and_its_mistakes(
    page: Page, rosa: Persona
) -> None:
    page.goto("/login/")
    page.locator("#id_language").select_option("tl")
    page.locator(".language-switch button").click()
    expect(page.locator("html")).to_have_attribute("lang", "tl")

    page.locator("#id_username").fill(rosa.username)
    page.locator("#id_password").fill(rosa.password)
    page.get_by_role("button", name=filipino("Continue")).click()
    expect(page).to_have_url(re.compile(r"/login/verify/$"))
    page.locator("#id_code").fill(rosa.authenticator_code())
    page.get_by_role("button", name=filipino("Sign in")).click()
    expect(page.get_by_role("navigation", name=filipino("Main"))).to_be_visible()

    page.goto("/risks/new/")
    page.get_by_role("button", name=filipino("Save"), exact=True).click()

    # Django's own message, from the catalogue it lacks for Filipino (locale/django/tl).
    expect(page.get_by_text("Kailangan ito.").first).to_be_visible()
    assert "This field is required." not in page.content()
    screenshot(page, "risk-situation-form-errors-tl-360x640")
    page.context.close()
