"""Steps that domain apps add to a person's erasure, so what they hold about the person goes with
the rest without the platform importing the apps built on it (the arrows only point this way)."""

from typing import Protocol

from safespaces.people.models import Person


class ErasureStep(Protocol):
    def __call__(self, *, person: Person) -> None: ...


_steps: list[ErasureStep] = []


def register(step: ErasureStep) -> None:
    """Add a step to every erasure; called from an app's `ready()`. It runs inside the erasure's
    transaction, so a step that fails leaves the person as they were."""
    if step not in _steps:
        _steps.append(step)


def erasure_steps() -> list[ErasureStep]:
    return list(_steps)
