"""A new person's first sign-in: set up an authenticator app, then keep the backup codes."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.browser.conftest import Persona, enter_password

pytestmark = pytest.mark.browser


def test_a_new_user_sets_up_an_authenticator_and_receives_ten_backup_codes(
    page: Page, noor: Persona
) -> None:
    enter_password(page, noor)
    expect(page).to_have_url(re.compile(r"/login/enrol/$"))
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator("figure.qr-code svg")).to_be_visible()

    secret = page.locator(".secret code")
    expect(secret).to_be_hidden()
    page.get_by_text("Can't scan? Type this key instead").click()
    expect(secret).to_be_visible()
    shown = secret.inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})*", shown), shown

    # What a person's authenticator app does with the typed key.
    key = shown.replace(" ", "")
    key_bytes = base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Code from the app").fill(f"{totp(key_bytes):06d}")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    codes = page.locator("ol.codes li").all_inner_texts()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code.strip()) for code in codes), codes

    page.get_by_role("link", name="I have written them down").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Noor")).to_be_visible()
