"""While the database does not answer, every page is a 503 that says so, never the generic 500.
After a form submit it says plainly that nothing was saved and offers "Try again", a form that
sends what was typed once more (passwords, codes and files excepted, and it says so). The page
itself needs no database, and what was typed never reaches the logs."""

import logging
from html.parser import HTMLParser

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InterfaceError, OperationalError
from django.test import Client, RequestFactory
from pytest_django import DjangoDbBlocker

from incidents import services as incident_services
from incidents.models import Incident
from safespaces.accounts.models import User
from safespaces.outage import outage_response
from tests.conftest import sign_in

REPORT = "/incidents/new/"
TYPED = {
    "kind": "incident",
    "occurred_on": "2026-03-01",
    "summary": "A grey car waited outside the shelter on Calle Luna",
    "description": "Two men\nwatched the door for an hour",
    "visibility": "team",
    "severity": "3",
}


@pytest.fixture
def client() -> Client:
    """A browser: Django's test client would raise the view's error instead of answering, as a
    server does."""
    return Client(raise_request_exception=False)


class HiddenFields(HTMLParser):
    """The (name, value) pairs of a page's hidden inputs, in order, as a browser would send."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden":
            self.fields.append((found["name"] or "", found.get("value") or ""))


def database_down(
    monkeypatch: pytest.MonkeyPatch, error: type[Exception] = OperationalError
) -> None:
    """Logging an incident fails as it does when the database stops answering mid-request."""

    def fails(**kwargs: object) -> Incident:
        raise error("server closed the connection unexpectedly")

    monkeypatch.setattr(incident_services, "incident_report", fails)


def csrf_token(client: Client) -> str:
    page = client.get(REPORT).content.decode()
    return dict(HiddenFields(page).fields)["csrfmiddlewaretoken"]


def test_a_form_sent_during_an_outage_is_told_nothing_was_saved_and_keeps_what_was_typed(
    staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(Client(enforce_csrf_checks=True, raise_request_exception=False), staff)
    token = csrf_token(client)
    database_down(monkeypatch)

    response = client.post(REPORT, TYPED | {"csrfmiddlewaretoken": token})

    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "The database is not answering" in page
    assert "Nothing was saved." in page
    assert f'<form method="post" action="{REPORT}">' in page
    assert dict(HiddenFields(page).fields) == TYPED | {"csrfmiddlewaretoken": token}
    assert not Incident.objects.exists()


def test_try_again_once_the_database_is_back_saves_what_was_typed(
    staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(Client(enforce_csrf_checks=True, raise_request_exception=False), staff)
    token = csrf_token(client)
    with monkeypatch.context() as outage:
        database_down(outage)
        page = client.post(REPORT, TYPED | {"csrfmiddlewaretoken": token}).content.decode()

    resent = client.post(REPORT, dict(HiddenFields(page).fields))

    assert resent.status_code == 302
    incident = Incident.objects.get()
    assert incident.summary == TYPED["summary"]
    assert incident.description == TYPED["description"]


def test_a_lost_connection_gets_the_same_page(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_down(monkeypatch, InterfaceError)

    response = sign_in(client, staff).post(REPORT, TYPED)

    assert response.status_code == 503
    assert "Nothing was saved." in response.content.decode()


def test_a_page_whose_session_cannot_be_read_gets_the_outage_page_without_a_form(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, staff)

    def unreachable(self: SessionStore) -> dict[str, object]:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "load", unreachable)

    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 503
    assert "The database is not answering" in page
    assert "what you saved before is safe" in page
    assert "Nothing was saved" not in page
    assert "<form" not in page


def test_passwords_and_codes_are_not_written_back(
    client: Client, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise OperationalError("could not connect to server")

    # The first thing a sign-in asks the database: whether this address is paused.
    monkeypatch.setattr("axes.backends.AxesStandaloneBackend.authenticate", unreachable)

    response = client.post("/login/", {"username": "lin", "password": "correct horse battery"})

    page = response.content.decode()
    assert response.status_code == 503
    assert "Nothing was saved." in page
    assert "Passwords and codes are not kept here" in page
    assert dict(HiddenFields(page).fields) == {"username": "lin"}
    assert "correct horse" not in page


def test_attached_files_are_not_kept_and_it_says_so(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_down(monkeypatch)
    photo = SimpleUploadedFile("car.jpg", b"\xff\xd8 not much of a photo", "image/jpeg")

    response = sign_in(client, staff).post(REPORT, TYPED | {"evidence": photo})

    page = response.content.decode()
    assert response.status_code == 503
    assert "Files you attached are not kept here" in page
    assert "car.jpg" not in page
    assert dict(HiddenFields(page).fields)["summary"] == TYPED["summary"]


def test_what_was_typed_never_reaches_the_logs(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    database_down(monkeypatch)

    with caplog.at_level(logging.DEBUG):
        response = sign_in(client, staff).post(REPORT, TYPED)

    assert response.status_code == 503
    assert "incidents:create" in caplog.text  # the log names the page by its route, not its path
    assert "Calle Luna" not in caplog.text
    assert "watched the door" not in caplog.text


def test_the_page_is_drawn_without_the_database(django_db_blocker: DjangoDbBlocker) -> None:
    request = RequestFactory().post(REPORT, TYPED)

    # Any query inside this block raises.
    with django_db_blocker.block():
        response = outage_response(request)

    assert response.status_code == 503
    assert "Nothing was saved." in response.content.decode()


def test_other_errors_still_get_the_generic_page(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(**kwargs: object) -> Incident:
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(incident_services, "incident_report", fails)

    response = sign_in(client, staff).post(REPORT, TYPED)

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_submit_with_nothing_to_send_again_says_nothing_was_saved_without_a_form(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, staff)

    def unreachable(self: SessionStore) -> dict[str, object]:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(SessionStore, "load", unreachable)

    response = client.post(REPORT, {"summary": "kept?"}, content_type="application/json")

    page = response.content.decode()
    assert response.status_code == 503
    assert "Nothing was saved." in page
    assert "go back with your browser's Back button" in page
    assert "<form" not in page


def test_a_failure_after_the_save_says_it_may_be_saved_and_offers_nothing_to_send_twice(
    client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(client, staff)

    def unreachable(self: SessionStore, must_create: bool = False) -> None:
        raise OperationalError("server closed the connection unexpectedly")

    # The session is saved on the way out, after the view's transaction committed.
    monkeypatch.setattr(SessionStore, "save", unreachable)

    response = client.post(REPORT, TYPED)

    page = response.content.decode()
    assert response.status_code == 503
    assert "What you sent may have been saved." in page
    assert "Nothing was saved" not in page
    assert "<form" not in page
    assert Incident.objects.get().summary == TYPED["summary"]
