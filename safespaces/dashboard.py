"""Panels that domain apps add to the home page, so the platform shows what is due for someone
without importing the apps built on it (the arrows only point this way)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    """A template to include on the home page and what it needs."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


PanelSource = Callable[[HttpRequest], Panel | None]
_sources: list[PanelSource] = []


def register(source: PanelSource) -> None:
    """Add a source of a home page panel; called from an app's `ready()`. It returns None when it
    has nothing to show the user."""
    if source not in _sources:
        _sources.append(source)


def panels_for(request: HttpRequest) -> list[Panel]:
    return [panel for source in _sources if (panel := source(request)) is not None]
