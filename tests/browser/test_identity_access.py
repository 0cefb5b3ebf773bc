"""An administrator gives a staff member access to one survivor's identity; she reveals it, it
hides again when she reloads the page or opens it again, and once access is revoked the Reveal
button is gone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.browser.conftest import SCREENSHOTS, App, OpenPage, Persona, sign_in
from tests.browser.seed import HERON

pytestmark = pytest.mark.browser


def test_a_grant_lets_staff_reveal_an_identity_until_it_is_revoked(
    browser: Browser, app: App, bea: Persona, kim: Persona
) -> None:
    admin = browser.new_context(base_url=app.url, locale="en").new_page()
    staff = browser.new_context(base_url=app.url, locale="en").new_page()
    sign_in(staff, kim)
    heron_page = f"/people/{app.heron_code}/"

    staff.goto(heron_page)
    expect(staff.get_by_text("Marisol Example")).to_have_count(0)
    expect(staff.get_by_role("button", name="Reveal identity")).to_have_count(0)

    sign_in(admin, bea)
    admin.get_by_role("link", name="Identity access").click()
    admin.get_by_label("User").select_option(label="kim")
    admin.get_by_label("Person").select_option(label="Heron")
    admin.get_by_label("Reason").fill("Court accompaniment next week")
    admin.get_by_label("Until").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    admin.get_by_role("button", name="Give access").click()
    expect(admin.get_by_text("Access granted.")).to_be_visible()

    staff.goto(heron_page)
    staff.get_by_role("button", name="Reveal identity").click()
    expect(staff.get_by_text(HERON["legal_name"])).to_be_visible()
    # The browser's own reload: it must not send the reveal again.
    staff.reload()
    expect(staff.get_by_text("Hidden again")).to_be_visible()
    expect(staff.get_by_text(HERON["legal_name"])).to_have_count(0)
    staff.goto(heron_page)
    expect(staff.get_by_text(HERON["legal_name"])).to_have_count(0)

    admin.get_by_role("button", name="Revoke").click()
    expect(admin.get_by_text("Access revoked.")).to_be_visible()
    staff.goto(heron_page)
    expect(staff.get_by_role("button", name="Reveal identity")).to_have_count(0)


def test_the_person_page_fits_a_phone(open_page: OpenPage) -> None:
    phone = open_page("person")
    phone.set_viewport_size({"width": 360, "height": 640})

    expect(phone.get_by_role("heading", name="Heron")).to_be_visible()
    expect(phone.get_by_text("Hidden").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=SCREENSHOTS / "person-360x640.png", full_page=True)
