"""gunicorn, as `safespaces serve` runs it, writes no access log, even when asked for one, and
its own lines about a request it could not handle lose the request line and the exception's
text: the app's request line stands in for them (safespaces.observability)."""

import gc
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.app.base import Application
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger

from safespaces import gunicorn_config
from safespaces.cli import serve_command

CANARY = "zzcanary-set-up-code"


def logger(kind: type[GunicornLogger], tmp_path: Path) -> GunicornLogger:
    """A gunicorn logger with the access log and the error log in files, as `--access-logfile`
    and `--error-logfile` would set them."""
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    return kind(config)


def a_request(log: GunicornLogger) -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/setup/{CANARY}/?q={CANARY}",
        "PATH_INFO": f"/setup/{CANARY}/",
        "QUERY_STRING": f"q={CANARY}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    log.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))


def test_the_access_log_stays_empty_even_when_asked_for(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    a_request(logger(GunicornLogger, plain))
    a_request(logger(gunicorn_config.Logger, tmp_path))

    # gunicorn's own logger would have written the code, the search and the address.
    assert CANARY in (plain / "access.log").read_text()
    assert (tmp_path / "access.log").read_text() == ""
    assert gunicorn_config.accesslog is None


def test_a_request_gunicorn_could_not_handle_is_logged_without_its_line_or_text(
    tmp_path: Path,
) -> None:
    log = logger(gunicorn_config.Logger, tmp_path)

    try:
        raise ValueError(CANARY)
    except ValueError:
        log.exception("Error handling request %s %s", "GET", f"/setup/{CANARY}/")
    log.warning(f"Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'GET /{CANARY}'")

    written = (tmp_path / "error.log").read_text()
    assert CANARY not in written
    assert "203.0.113.9" not in written
    assert "Error handling request: ValueError" in written
    assert (
        "in test_a_request_gunicorn_could_not_handle_is_logged_without_its_line_or_text" in written
    )
    assert "Invalid request (its line and headers are not logged)" in written


def test_serve_uses_these_settings_unless_given_a_configuration_of_ones_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "2")

    assert serve_command([])[3:5] == ["--config", "python:safespaces.gunicorn_config"]
    own = serve_command(["-c", "/etc/safespaces/gunicorn.py"])
    assert own[3:] == [
        "--bind",
        "127.0.0.1:8000",
        "-c",
        "/etc/safespaces/gunicorn.py",
        "safespaces.wsgi:application",
    ]


class Configured(Application):
    """gunicorn's settings as `safespaces serve` loads them, without serving anything."""

    def load_config(self) -> None:
        self.load_config_from_module_name_or_filename("python:safespaces.gunicorn_config")

    def load(self) -> None:
        raise AssertionError("nothing is served")


def test_gunicorn_opens_no_control_socket_in_the_read_only_home() -> None:
    configured = Configured().cfg

    # gunicorn's default would make $HOME/.gunicorn/gunicorn.ctl at every start.
    assert Config().control_socket_disable is False
    assert configured.control_socket_disable is True
    assert configured.logger_class is gunicorn_config.Logger


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def seen_by_the_collector(thing: object) -> bool:
    return any(tracked is thing for tracked in gc.get_objects())


@pytest.mark.usefixtures("unfrozen")
def test_each_worker_hides_what_it_loaded_from_the_garbage_collector() -> None:
    loaded = [object()]  # a list: the collector tracks it
    assert gc.get_freeze_count() == 0 and seen_by_the_collector(loaded)

    Configured().cfg.post_worker_init(SimpleNamespace())

    made_by_a_request = [object()]
    assert gc.get_freeze_count() > 0
    assert not seen_by_the_collector(loaded)
    assert seen_by_the_collector(made_by_a_request)
