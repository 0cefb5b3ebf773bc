"""Requests Django refuses before any view sees them get a page that says what went wrong: a text
beyond DATA_UPLOAD_MAX_MEMORY_SIZE is told the limit (413), anything else gets a plain 400 page.
Every page carries the limit, for the script that stops such a form before it is sent."""

from django.conf import settings
from django.test import Client, override_settings

from incidents.models import Incident
from safespaces.accounts.models import User
from tests.conftest import sign_in

ONE_MB = 1024 * 1024
REPORT = "/incidents/new/"


def report(**changes: object) -> dict[str, object]:
    return {
        "kind": "incident",
        "occurred_on": "2026-03-01",
        "summary": "A car waited outside the shelter",
        "visibility": "team",
        "severity": 3,
    } | changes


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=ONE_MB)
def test_a_text_beyond_the_limit_is_told_the_limit_and_nothing_is_saved(
    client: Client, staff: User
) -> None:
    response = sign_in(client, staff).post(REPORT, report(description="x" * (ONE_MB + 1)))

    content = response.content.decode()
    assert response.status_code == 413
    assert "A form can send at most 1 MB of text, and this one held more." in content
    assert "Nothing was saved." in content
    assert not Incident.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=ONE_MB)
def test_a_form_sent_urlencoded_is_told_the_same(client: Client, staff: User) -> None:
    body = "description=" + "x" * ONE_MB

    response = sign_in(client, staff).post(
        REPORT, body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert "at most 1 MB of text" in response.content.decode()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=2)
def test_another_refused_request_gets_a_plain_page(client: Client, staff: User) -> None:
    response = sign_in(client, staff).post(REPORT, report())

    assert response.status_code == 400
    assert "nothing was saved" in response.content.decode()
    assert not Incident.objects.exists()


def test_every_page_carries_the_limit_for_the_script(client: Client, staff: User) -> None:
    page = sign_in(client, staff).get(REPORT).content.decode()

    assert f'data-post-limit="{20 * ONE_MB}"' in page
    assert "a form can send at most 20 MB of text." in page
    assert "js/post-limit.js" in page


def test_a_form_the_csrf_check_refuses_says_so_in_the_readers_language(staff: User) -> None:
    client = sign_in(Client(enforce_csrf_checks=True), staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "tl"

    response = client.post(REPORT, report())

    content = response.content.decode()
    assert response.status_code == 403
    assert "Hindi naipadala ang form na ito" in content
    assert "CSRF" not in content and "Forbidden" not in content
    assert not Incident.objects.exists()
