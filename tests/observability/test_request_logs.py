"""One line per request, under a random id that every line of the request carries and that the
answer names; plain text by default, JSON with LOG_FORMAT=json; exceptions as classes and
frames only."""

import json
import logging
import sys

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject

from safespaces.accounts.models import User
from safespaces.observability.logs import JsonFormatter, TextFormatter
from safespaces.observability.middleware import user_id
from tests.conftest import sign_in
from tests.observability.conftest import Logs, settings_with


def test_each_request_gets_a_line_under_the_id_its_answer_names(
    json_logs: Logs, staff: User
) -> None:
    client = sign_in(Client(), staff)

    first = client.get("/?q=words")
    second = client.get("/")

    lines = json_logs.requests()
    assert [line["request_id"] for line in lines] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert lines[0]["method"] == "GET"
    assert lines[0]["route"] == "home"
    assert lines[0]["status"] == 200
    assert lines[0]["user_id"] == str(staff.pk)
    assert lines[0]["duration_ms"] > 0
    assert lines[0]["message"].startswith("GET home 200 ")
    assert "words" not in json_logs.text


def test_an_id_sent_by_the_client_is_not_taken(json_logs: Logs, db: None) -> None:
    response = Client().get("/login/", headers={"X-Request-ID": "chosen-by-the-client"})

    assert response.status_code == 200
    assert response["X-Request-ID"] != "chosen-by-the-client"
    assert len(response["X-Request-ID"]) == 16
    assert json_logs.requests()[0]["request_id"] == response["X-Request-ID"]
    assert json_logs.requests()[0]["user_id"] is None


def test_lines_written_during_a_request_carry_its_id_and_route(
    json_logs: Logs, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def panels(request: object) -> list[object]:
        logging.getLogger("safespaces.dashboard").warning("A panel was left out")
        return []

    monkeypatch.setattr("safespaces.views.panels_for", panels)

    response = sign_in(Client(), staff).get("/")

    warning = next(e for e in json_logs.entries() if e["message"] == "A panel was left out")
    assert warning["request_id"] == response["X-Request-ID"]
    assert warning["route"] == "home"


def test_a_path_that_matches_nothing_is_not_written(json_logs: Logs, db: None) -> None:
    response = Client().get("/setup-code-abc123/")

    assert response.status_code == 404
    assert json_logs.requests()[0]["route"] == "-"
    (django_line,) = [e for e in json_logs.entries() if e["logger"] == "django.request"]
    assert django_line["message"] == "Not Found: -"
    # Django writes it after the middleware returned: it still belongs to the request.
    assert django_line["request_id"] == response["X-Request-ID"]
    assert "setup-code-abc123" not in json_logs.text


def test_lines_after_the_request_finished_carry_no_request_id(json_logs: Logs, db: None) -> None:
    response = Client().get("/login/")
    logging.getLogger("safespaces.worker").warning("Between requests")

    assert response.status_code == 200
    between = next(e for e in json_logs.entries() if e["message"] == "Between requests")
    assert between["request_id"] is None
    assert "route" not in between


def test_the_format_is_plain_text_unless_json_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert settings_with(monkeypatch).LOGGING["handlers"]["console"]["formatter"] == "text"
    json_settings = settings_with(monkeypatch, LOG_FORMAT="JSON")
    assert json_settings.LOGGING["handlers"]["console"]["formatter"] == "json"


def test_a_format_it_does_not_know_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception, match="LOG_FORMAT must be one of text, json."):
        settings_with(monkeypatch, LOG_FORMAT="xml")


def failed_record() -> logging.LogRecord:
    def read(secret: str) -> None:
        raise ValueError(f"invalid value {secret!r}")

    try:
        try:
            read("Survivor's words")
        except ValueError as error:
            raise KeyError("Survivor's name") from error
    except KeyError:
        return logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    raise AssertionError


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()], ids=["text", "json"])
def test_an_exception_is_its_class_and_frames_without_its_message(
    formatter: logging.Formatter,
) -> None:
    printed = formatter.format(failed_record())

    text = json.loads(printed)["exception"] if isinstance(formatter, JsonFormatter) else printed
    assert "Survivor" not in printed
    assert "ValueError" in text
    assert "KeyError" in text
    assert text.index("ValueError") < text.index("KeyError")
    assert f'File "{__file__}", line ' in text
    assert "in read" in text


def test_a_static_file_is_logged_as_static(json_logs: Logs, db: None) -> None:
    response = Client().get("/static/no-such-file-abc123.css")

    assert response.status_code == 404
    assert json_logs.requests()[0]["route"] == "static"
    assert "abc123" not in json_logs.text


def test_the_request_line_names_a_user_only_once_the_request_looked_them_up(
    staff: User,
) -> None:
    def unreachable() -> User:
        raise OperationalError("the database does not answer")

    request = RequestFactory().get("/healthz")
    request.user = SimpleLazyObject(unreachable)  # type: ignore[assignment]
    assert user_id(request) is None

    request.user = SimpleLazyObject(lambda: staff)  # type: ignore[assignment]
    assert request.user.is_authenticated
    assert user_id(request) == str(staff.pk)
