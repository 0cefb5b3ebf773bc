"""Two coordinators edit one incident at once; the second sees both edits side by side on her
phone, chooses, and saves without undoing the first one's change."""

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, App, sign_in

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
INCIDENT_PAGE = re.compile(r"/incidents/[0-9a-f-]{36}/$")


def test_the_second_editor_sees_both_edits_side_by_side_on_a_phone_and_keeps_both(
    browser: Browser, app: App
) -> None:
    uma = browser.new_context(base_url=app.url, locale="en").new_page()
    vic = browser.new_context(base_url=app.url, locale="en", **PHONE).new_page()
    sign_in(uma, app.personas["uma"])
    sign_in(vic, app.personas["vic"])
    # Uma logs an incident of her own, so no other test's page changes.
    uma.goto("/incidents/new/")
    uma.get_by_label("Security incident", exact=True).check()
    uma.get_by_label("In a few words").fill("Followed from the bus stop")
    uma.get_by_label(re.compile(r"^\s*3 - Moderate")).check()
    uma.get_by_role("button", name="Send", exact=True).click()
    expect(uma).to_have_url(INCIDENT_PAGE)
    edit = uma.url + "edit/"
    # Both open the form; Uma saves first.
    vic.goto(edit)
    uma.goto(edit)
    uma.get_by_label("In a few words").fill("Followed by two men from the bus stop")
    uma.get_by_label(re.compile(r"^\s*5 - ")).check()
    uma.get_by_role("button", name="Save", exact=True).click()
    expect(uma).to_have_url(INCIDENT_PAGE)

    vic.get_by_label("In a few words").fill("Followed to the bus stop at night")
    vic.get_by_role("button", name="Save", exact=True).click()

    conflicts = vic.locator(".conflicts")
    expect(conflicts).to_contain_text("Followed by two men from the bus stop")
    expect(conflicts).to_contain_text("Followed to the bus stop at night")
    expect(conflicts).to_contain_text("Only they changed this: their value is in the form.")
    # The text can be there before the stylesheet is: measure the page once it has loaded. On a
    # busy machine the unstyled form measured 370 px.
    vic.wait_for_load_state("load")
    assert vic.evaluate("document.documentElement.scrollWidth") <= 360
    theirs, yours = vic.locator(".conflict-choose .conflict-side").all()
    theirs_box, yours_box = theirs.bounding_box(), yours.bounding_box()
    assert theirs_box is not None and yours_box is not None
    assert theirs_box["y"] == yours_box["y"]  # side by side, not one under the other
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    vic.screenshot(path=SCREENSHOTS / "edit-conflict-360x640.png", full_page=True)
    vic.get_by_role("radio", name="What you typed (as in the form below)").check()
    vic.get_by_role("button", name="Save", exact=True).click()

    expect(vic).to_have_url(INCIDENT_PAGE)
    heading = vic.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Followed to the bus stop at night")
    # Uma's severity, which Vic never touched, survived Vic's save.
    expect(vic.locator(".severity-badge")).to_contain_text("5 - Critical")
