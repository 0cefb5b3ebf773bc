"""Signing in with a password and a second factor, as a person would in the browser."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Persona, enter_password, sign_in

pytestmark = pytest.mark.browser


def test_a_staff_member_signs_in_with_password_and_authenticator_code(
    page: Page, lin: Persona
) -> None:
    enter_password(page, lin)
    expect(page).to_have_url(re.compile(r"/login/verify/$"))
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()

    page.get_by_label("Code").fill(lin.authenticator_code())
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Lin")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_someone_without_their_phone_signs_in_with_a_backup_code(page: Page, sam: Persona) -> None:
    code = sam.backup_code()
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)

    sign_in(page, sam, code=code)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Sam")).to_be_visible()
