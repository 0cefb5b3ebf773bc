import re

from django.test import Client, override_settings

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.drafts.models import Draft
from tests.conftest import sign_in
from tests.crypto.support import raw_value


@override_settings(QUICK_EXIT_URL="https://neutral.example/weather")
def test_it_ends_the_session_and_goes_to_the_neutral_site(client: Client, staff: User) -> None:
    sign_in(client, staff)

    response = client.get("/exit/")

    assert response.status_code == 302
    assert response["Location"] == "https://neutral.example/weather"
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert "no-store" in response["Cache-Control"]
    assert client.get("/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUICK_EXIT, actor=staff).count() == 1


def test_it_works_for_someone_not_signed_in(client: Client, db: None) -> None:
    response = client.get("/exit/")

    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_every_page_offers_the_quick_exit(client: Client, staff: User) -> None:
    for page in [client.get("/login/"), sign_in(client, staff).get("/")]:
        assert b"data-quick-exit" in page.content
        assert b"js/quick-exit.js" in page.content


# --- A half-written form, posted by the script before it leaves ------------------------------

LOG_FORM = "/incidents/new/"
TYPED = "A grey van waited outside the shelter all evening."


def csrf_token_of(content: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert found is not None, "no CSRF token in the page"
    return found.group(1).decode()


def signed_in_with_csrf(user: User) -> tuple[Client, str]:
    """A browser that checks form tokens as a real one is checked, on the log form."""
    client = sign_in(Client(enforce_csrf_checks=True), user)
    page = client.get(LOG_FORM)
    assert page.status_code == 200
    return client, csrf_token_of(page.content)


def test_it_keeps_the_half_written_form_as_an_encrypted_draft_and_ends_the_session(
    staff: User,
) -> None:
    client, token = signed_in_with_csrf(staff)

    response = client.post(
        "/exit/",
        {
            "csrfmiddlewaretoken": token,
            "quick_exit_form": LOG_FORM,
            "summary": "Van outside",
            "description": TYPED,
        },
    )

    assert response.status_code == 204
    assert response["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    draft = Draft.objects.get(user=staff)
    assert draft.form == "incidents:create"
    assert draft.data == {"summary": ["Van outside"], "description": [TYPED]}
    assert TYPED not in str(raw_value(Draft, "data", draft.pk))
    assert client.get("/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUICK_EXIT, actor=staff).count() == 1


def test_signing_in_again_shows_the_kept_text_in_the_log_form(staff: User) -> None:
    client, token = signed_in_with_csrf(staff)
    client.post(
        "/exit/", {"csrfmiddlewaretoken": token, "quick_exit_form": LOG_FORM, "description": TYPED}
    )

    response = sign_in(client, staff).get(LOG_FORM)

    assert response.status_code == 200
    assert b"This is your unsent report from" in response.content
    assert TYPED.encode() in response.content


def test_a_post_without_the_form_token_keeps_nothing(staff: User) -> None:
    client, _ = signed_in_with_csrf(staff)

    response = client.post("/exit/", {"quick_exit_form": LOG_FORM, "description": TYPED})

    assert response.status_code == 403
    assert not Draft.objects.exists()
    # The GET that follows still ends the session.
    assert client.get("/exit/").status_code == 302
    assert client.get("/")["Location"] == "/login/"


def test_a_form_that_keeps_no_drafts_is_not_kept(staff: User) -> None:
    client, token = signed_in_with_csrf(staff)

    response = client.post(
        "/exit/",
        {"csrfmiddlewaretoken": token, "quick_exit_form": "/account/", "description": TYPED},
    )

    assert response.status_code == 204
    assert not Draft.objects.exists()
    assert client.get("/")["Location"] == "/login/"


def test_a_session_with_only_a_password_keeps_nothing(client: Client, staff: User) -> None:
    client.force_login(staff)
    token = csrf_token_of(client.get("/login/verify/").content)

    response = client.post(
        "/exit/", {"csrfmiddlewaretoken": token, "quick_exit_form": LOG_FORM, "description": TYPED}
    )

    assert response.status_code == 204
    assert not Draft.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.QUICK_EXIT, actor=staff).count() == 1


def test_someone_not_signed_in_keeps_nothing(client: Client, db: None) -> None:
    token = csrf_token_of(client.get("/login/").content)

    response = client.post(
        "/exit/", {"csrfmiddlewaretoken": token, "quick_exit_form": LOG_FORM, "description": TYPED}
    )

    assert response.status_code == 204
    assert not Draft.objects.exists()
    assert not AuditEvent.objects.exists()


def test_only_the_log_form_is_marked_for_the_script(client: Client, staff: User) -> None:
    page = sign_in(client, staff).get(LOG_FORM)

    assert page.status_code == 200
    assert page.content.count(b"data-keeps-draft") == 1
    assert (
        b'<form method="post" action="/incidents/new/" novalidate data-keeps-draft>' in page.content
    )
