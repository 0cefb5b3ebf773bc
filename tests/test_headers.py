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


def test_pages_contain_no_inline_script_or_style(client: Client, administrator: User) -> None:
    sign_in(client, administrator)
    for path in ["/", "/account/", "/audit/", "/users/", "/login/enrol/"]:
        html = client.get(path, follow=True).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html, path
        assert "onclick=" not in html, path


@override_settings(LANGUAGES=[("en", "English"), ("ar", "Arabic")])
def test_right_to_left_languages_get_a_right_to_left_page(client: Client, db: None) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="ar")

    assert b'dir="rtl"' in response.content
    assert b'lang="ar"' in response.content


def test_only_enabled_languages_are_offered(client: Client, db: None) -> None:
    assert b'lang="en"' in client.get("/login/", HTTP_ACCEPT_LANGUAGE="ar").content


def test_left_to_right_is_the_default(client: Client, db: None) -> None:
    assert b'dir="ltr"' in client.get("/login/").content
