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
    # Above the greeting, before anything else: someone may be in danger.
    urgent: bool = False


PanelSource = Callable[[HttpRequest], Panel | None]
_sources: list[tuple[int, PanelSource]] = []


def register(source: PanelSource, *, order: int) -> None:
    """Add a source of a home page panel; called from an app's `ready()`. It returns None when it
    has nothing to show the user. Panels stand in `order`, smallest first."""
    if all(known is not source for _order, known in _sources):
        _sources.append((order, source))
        _sources.sort(key=lambda entry: entry[0])


def panels_for(request: HttpRequest) -> list[Panel]:
    return [panel for _order, source in _sources if (panel := source(request)) is not None]
