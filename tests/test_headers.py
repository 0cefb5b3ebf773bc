import pytest
from django.http import HttpResponse
from django.test import Client, override_settings

from safespaces.accounts.models import User
from tests.conftest import sign_in


def test_an_authenticated_page_carries_every_protective_header(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/")
    csp = response["Content-Security-Policy"]

    assert response.status_code == 200
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    # Not "no-referrer": browsers then send "Origin: null" and every form fails the CSRF check.
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_is_not_stored_either(client: Client, db: None) -> None:
    response = client.get("/login/")

    assert "no-store" in response["Cache-Control"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_a_page_is_sent_uncompressed_even_to_a_browser_that_asks_for_gzip(
    client: Client, staff: User
) -> None:
    """BREACH: a compressed page that holds a secret beside text an attacker can influence leaks
    the secret through its length (docs/operations.md says why pages are not compressed)."""
    response = sign_in(client, staff).get("/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert response.status_code == 200
    assert "Hello," in response.content.decode()
    assert not response.has_header("Content-Encoding")


# Pages and the heading each must show, so a redirect or an error page cannot pass for them.
PAGES = {
    "/": "Hello, Amina",
    "/account/": "My account",
    "/audit/": "Audit log",
    "/users/": "Users",
}


def assert_no_inline_code(response: HttpResponse, heading: str) -> None:
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{heading}" in html
    assert '<script src="/static/' in html  # scripts come from files
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    assert "onclick=" not in html


@pytest.mark.parametrize(("path", "heading"), PAGES.items())
def test_pages_contain_no_inline_script_or_style(
    client: Client, administrator: User, path: str, heading: str
) -> None:
    assert_no_inline_code(sign_in(client, administrator).get(path), heading)


def test_the_enrolment_page_with_its_code_contains_none_either(
    client: Client, unverified: User
) -> None:
    client.force_login(unverified)

    assert_no_inline_code(client.get("/login/enrol/"), "Set up your authenticator app")


@override_settings(LANGUAGES=[("en", "English"), ("ar", "Arabic")])
def test_right_to_left_languages_get_a_right_to_left_page(client: Client, db: None) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ar")

    assert b'dir="rtl"' in response.content
    assert b'lang="ar"' in response.content


def test_only_enabled_languages_are_offered(client: Client, db: None) -> None:
    assert b'lang="en"' in client.get("/login/", HTTP_ACCEPT_LANGUAGE="ar").content


def test_left_to_right_is_the_default(client: Client, db: None) -> None:
    assert b'dir="ltr"' in client.get("/login/").content
