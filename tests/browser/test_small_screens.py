"""A cheap phone: 360 by 640 CSS pixels, touch, often read in a hurry and in Arabic."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, OpenPage

pytestmark = pytest.mark.browser

PHONE = {
    "viewport": {"width": 360, "height": 640},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def assert_fits_the_phone(page: Page) -> None:
    quick_exit = page.locator("[data-quick-exit]")
    expect(quick_exit).to_be_in_viewport(ratio=1)
    box = quick_exit.bounding_box()
    assert box is not None
    assert 0 <= box["x"] and box["x"] + box["width"] <= 360, box
    assert 0 <= box["y"] and box["y"] + box["height"] <= 640, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # The app's name shows whole beside the inbox and the quick exit, not cut to "SafeSpa…".
    brand = page.locator(".brand")
    expect(brand).to_be_visible()
    assert brand.evaluate("b => b.scrollWidth <= b.clientWidth"), brand.inner_text()


@pytest.mark.browser_context_args(**PHONE)
@pytest.mark.parametrize("name", ["login", "home", "notifications", "notification-settings"])
def test_the_page_fits_a_small_phone_with_quick_exit_in_reach(
    open_page: OpenPage, name: str
) -> None:
    page = open_page(name)

    assert_fits_the_phone(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}-360x640.png")


@pytest.mark.browser_context_args(**PHONE, locale="ar")
def test_the_sign_in_page_reads_right_to_left_in_arabic(open_page: OpenPage) -> None:
    page = open_page("login")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    assert_fits_the_phone(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "login-rtl-360x640.png")
