"""A field check-in on two cheap phones: Zoe starts one before going out and misses it; Mara, who
watches, sees the alarm on her home page, takes it on, cannot reach her, and logs the incident
from the form the check-in filled in."""

import json
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PROJECT, SCREENSHOTS, App, Persona, sign_in

pytestmark = pytest.mark.browser

# The cheap phone of the small-screen checks.
PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
CHECK_IN_PAGE = re.compile(r"/checkins/[0-9a-f-]{36}/$")
INCIDENT_PAGE = re.compile(r"/incidents/[0-9a-f-]{36}/$")
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def assert_fits_the_phone(page: Page, axe: Axe) -> None:
    """Nothing pushes the page sideways, and axe finds nothing against WCAG 2.1 AA."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url
    results = axe.run(page, options={**WCAG_21_AA, "resultTypes": ["violations"]})
    found = [
        f"{violation['id']}: {', '.join(map(str, node['target']))}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]
    assert found == [], "\n".join(found)


def let_the_time_pass(app: App, username: str) -> dict:
    """The user's check-in time and its grace period pass, and the worker runs what is due."""
    env = {**os.environ, "DATABASE_URL": app.database_url, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.browser.deadline", username],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_a_missed_check_in_is_answered_from_a_phone_and_logged_as_an_incident(
    browser: Browser, app: App, zoe: Persona, mara: Persona
) -> None:
    axe = Axe()
    # Zoe, before she goes out: what, with whom, by when, and who watches.
    staff = browser.new_context(base_url=app.url, locale="en", **PHONE).new_page()
    sign_in(staff, zoe)
    staff.get_by_role("link", name="Going out? Start a check-in").click()
    expect(staff.get_by_role("heading", level=1, name="Start a check-in")).to_be_visible()
    staff.get_by_label("What are you doing?").fill("Outreach at the night market")
    staff.get_by_label("Who are you with?").fill("Ana")
    now = timezone.localtime()
    due = now + timedelta(hours=2)
    by = due.strftime("%H:%M")
    # The heading names the day too when the deadline falls after midnight.
    heading = by if due.date() == now.date() else f"{due:%a} {due.day} {due:%b}, {by}"
    staff.get_by_label("Check in by").fill(by)
    # Colleagues are found by typing part of their name.
    staff.get_by_label("Find a colleague: type part of their name").press_sequentially("mar")
    staff.get_by_role("checkbox", name="Mara", exact=True).check()
    staff.get_by_role("button", name="Start", exact=True).click()

    started = f"Check-in started. Check in by {by} on your home page."
    expect(staff.get_by_text(started)).to_be_visible()
    own = staff.locator(".check-in-panel")
    expect(own.get_by_role("heading", level=2)).to_have_text(f"Check in by {heading}")
    for button in ["I'm safe", "I need more time", "Help now"]:
        expect(own.get_by_role("button", name=button, exact=True)).to_be_visible()
    assert_fits_the_phone(staff, axe)
    screenshot(staff, "check-in-staff-home-360x640")
    staff.context.close()

    # Two hours and the grace period later, with no word from Zoe.
    passed = let_the_time_pass(app, "zoe")
    assert passed["status"] == "alarm"
    assert passed["after"]["mara"] == passed["before"]["mara"] + 1

    # Mara's home page: the alarm at the top, in red, and in her inbox beside the notice of this
    # sign-in.
    page = browser.new_context(base_url=app.url, locale="en", **PHONE).new_page()
    sign_in(page, mara)
    unread = passed["after"]["mara"] + 1
    expect(page.get_by_role("link", name=f"Notifications: {unread} unread")).to_be_visible()
    alarm = page.locator(".alarm-panel")
    expect(alarm.get_by_role("heading", level=2)).to_have_text("A check-in needs you")
    missed = alarm.get_by_role("link", name=re.compile(r"^Zoe: missed the check-in at \d\d:\d\d$"))
    expect(missed).to_be_visible()
    assert_fits_the_phone(page, axe)
    screenshot(page, "check-in-coordinator-home-360x640")

    # She takes it on: nobody else is called out.
    missed.click()
    expect(page).to_have_url(CHECK_IN_PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check-in: Zoe")
    expect(page.get_by_role("alert")).to_contain_text("They did not check in by")
    page.get_by_role("button", name="I'm on it").click()
    expect(page.get_by_text("Acknowledged: the alert will not go further.")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"Mara acknowledged it at \d"))
    expect(page.locator(".timeline")).to_contain_text("Alert acknowledged")
    assert_fits_the_phone(page, axe)
    screenshot(page, "check-in-detail-360x640")

    # She cannot reach Zoe: the alarm closes and the incident form opens, filled in.
    closing = page.locator("form[action$='/close/']")
    closing.get_by_label("Not reached").check()
    closing.get_by_label("Note").fill("Called twice and texted Ana: no answer.")
    closing.get_by_role("button", name="Close the alarm", exact=True).click()

    expect(page).to_have_url(re.compile(r"/incidents/new/$"))
    expect(page.get_by_text("Filled in from the check-in.")).to_be_visible()
    expect(page.get_by_label("In a few words")).to_have_value("Not reached after a missed check-in")
    expect(page.get_by_label("What happened, in your words")).to_have_value(
        re.compile(r"Outreach at the night market[\s\S]*no answer")
    )
    page.get_by_label(re.compile(r"^\s*4 - Serious")).check()
    page.get_by_role("button", name="Send", exact=True).click()

    expect(page).to_have_url(INCIDENT_PAGE)
    expect(page.get_by_text(re.compile(r"The incident is logged as INC-"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Not reached after a missed check-in"
    )
    page.context.close()
