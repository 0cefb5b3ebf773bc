import importlib.util
import io
import json
import logging.config
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

import safespaces


class Logs:
    """What the app's logging printed, as the operator's log collector would get it."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.strip()]

    def requests(self) -> list[dict[str, Any]]:
        return [entry for entry in self.entries() if entry["logger"] == "safespaces.requests"]


def settings_with(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Any:
    """The settings module read afresh under these environment variables."""
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    path = Path(safespaces.__file__).parent / "settings.py"
    spec = importlib.util.spec_from_file_location("settings_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Logs]:
    """The real LOGGING of LOG_FORMAT=json and LOG_LEVEL=DEBUG, printing into `Logs`."""
    config = settings_with(monkeypatch, LOG_FORMAT="json", LOG_LEVEL="DEBUG").LOGGING
    logs = Logs()
    config["handlers"]["console"]["stream"] = logs.stream
    logging.config.dictConfig(config)
    yield logs
    logging.config.dictConfig(settings.LOGGING)
