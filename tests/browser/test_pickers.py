"""The log form's pickers on a small phone: a place and who was affected, found by typing a few
letters, with JavaScript (matches come as one types) and without (a "Find" that sends the form
and brings it back with everything typed); and the incident list's place filter, whose search
never lands in an address."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS, App, Persona, sign_in
from tests.browser.test_incidents import (
    INCIDENT_PAGE,
    SMALL_PHONE,
    assert_no_sideways_scrolling,
    screenshot,
)

pytestmark = pytest.mark.browser


def start_report(page: Page, summary: str) -> None:
    page.goto("/incidents/new/")
    page.get_by_label("Threat", exact=True).check()
    page.get_by_label("In a few words").fill(summary)
    page.get_by_label(re.compile(r"^\s*2 - Low")).check()
    page.get_by_text("More details (optional)").click()


def test_a_place_and_a_person_are_found_by_typing_on_a_small_phone(
    browser: Browser, app: App, pia: Persona
) -> None:
    page = browser.new_context(base_url=app.url, locale="en", **SMALL_PHONE).new_page()
    sign_in(page, pia)
    start_report(page, "Shouted at near the station")
    searches: list[str] = []
    page.on(
        "request", lambda request: searches.append(request.url) if "/pick/" in request.url else None
    )

    page.get_by_label("Find a place: type part of its name, or its kind").press_sequentially("stat")
    station = page.get_by_label("Station outreach (Outreach site)")
    expect(station).to_be_visible()
    station.check()
    page.get_by_label("Find someone: type part of the alias").press_sequentially("her")
    heron = page.get_by_label("Heron", exact=True)
    expect(heron).to_be_visible()
    heron.check()
    expect(page.get_by_text("Safe house (Shelter)")).to_have_count(0)
    assert_no_sideways_scrolling(page)
    screenshot(page, "incident-form-picker-360x640")
    page.get_by_label("Find someone: type part of the alias").scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "incident-form-picker-in-use-360x640.png")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page).to_have_url(INCIDENT_PAGE)
    main = page.get_by_role("main")
    expect(main).to_contain_text("Station outreach")
    expect(main).to_contain_text("Heron")
    # What was typed went in the body of a POST, never in an address.
    assert searches and all("?" not in url and "stat" not in url for url in searches)


def test_without_javascript_find_brings_the_form_back_with_the_matches(
    browser: Browser, app: App, pia: Persona
) -> None:
    context = browser.new_context(
        base_url=app.url, locale="en", java_script_enabled=False, **SMALL_PHONE
    )
    page = context.new_page()
    sign_in(page, pia)
    start_report(page, "Door left open at the safe house")

    page.get_by_label("Find a place: type part of its name, or its kind").fill("safe")
    page.get_by_role("group", name="Place").get_by_role("button", name="Find").click()

    expect(page.get_by_label("In a few words")).to_have_value("Door left open at the safe house")
    expect(page.get_by_label("Threat", exact=True)).to_be_checked()
    expect(page.get_by_label("Find a place: type part of its name, or its kind")).to_have_value(
        "safe"
    )
    safe_house = page.get_by_label("Safe house (Shelter)")
    expect(safe_house).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    safe_house.check()
    assert_no_sideways_scrolling(page)
    page.screenshot(path=SCREENSHOTS / "incident-form-picker-no-js-360x640.png")
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page).to_have_url(INCIDENT_PAGE)
    expect(page.get_by_role("main")).to_contain_text("Safe house")


@pytest.mark.parametrize("javascript", [True, False])
def test_the_incident_lists_place_filter_finds_by_typing_and_keeps_it_out_of_the_address(
    browser: Browser, app: App, fay: Persona, finn: Persona, javascript: bool
) -> None:
    context = browser.new_context(
        base_url=app.url, locale="en", java_script_enabled=javascript, **SMALL_PHONE
    )
    page = context.new_page()
    sign_in(page, fay if javascript else finn)
    addresses: list[str] = []
    page.on("request", lambda request: addresses.append(request.url))
    page.goto("/incidents/")
    page.get_by_text("Filter", exact=True).click()

    search = page.get_by_label("Find a place: type part of its name, or its kind")
    if javascript:
        search.press_sequentially("outre")
    else:
        search.fill("outre")
        page.get_by_role("group", name="Place").get_by_role("button", name="Find").click()
    station = page.get_by_label("Station outreach (Outreach site)")
    expect(station).to_be_visible()
    expect(page.get_by_text("Safe house (Shelter)")).to_have_count(0)
    station.check()
    assert_no_sideways_scrolling(page)
    page.screenshot(
        path=SCREENSHOTS / f"incident-filter-picker-{'js' if javascript else 'no-js'}-360x640.png"
    )
    page.get_by_role("button", name="Show", exact=True).click()

    expect(page).to_have_url(re.compile(r"/incidents/\?(.*&)?place=[0-9a-f-]{36}"))
    expect(page.get_by_label("Station outreach (Outreach site)")).to_be_checked()
    # What was typed went in the body of a POST, never in an address.
    assert addresses and not [url for url in addresses if "outre" in url.casefold()]
