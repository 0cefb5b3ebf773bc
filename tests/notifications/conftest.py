"""Channels switched on for a test, the task queue held in memory, and kinds of event as a
domain app would register them."""

from collections.abc import Iterator

import pytest
from django.test import override_settings
from django_tasks import task_backends
from django_tasks.backends.dummy import DummyBackend

from safespaces.notifications.kinds import Kind, Urgency, register

# An urgent kind, as a domain app registers one in its ready().
CHECK_IN_OVERDUE = Kind(
    "tests.check_in_overdue", "Check-in overdue", Urgency.URGENT, "a check-in is overdue", True
)
register(CHECK_IN_OVERDUE)
ROUTINE = Kind("tests.routine", "Routine", Urgency.NORMAL, "a review is due")
register(ROUTINE)
SUMMARY = Kind("tests.summary", "Summary", Urgency.DIGEST, "some reviews are due")
register(SUMMARY)

SECRET = "a-webhook-secret-long-enough-for-the-check-0123456789"


@pytest.fixture
def queue() -> Iterator[DummyBackend]:
    """Tasks are queued in memory and run by the test, one by one."""
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ):
        backend = task_backends["default"]
        assert isinstance(backend, DummyBackend)
        backend.clear()
        yield backend


@pytest.fixture
def email_on() -> Iterator[None]:
    """Email configured; pytest-django keeps outgoing mail in django.core.mail.outbox."""
    with override_settings(
        EMAIL_URL="smtp://mail.example.org:587",
        EMAIL_FROM="alerts@example.org",
        SITE_URL="https://safespaces.example.org",
        SITE_TITLE="Garden Club",
    ):
        yield


def run_queued(backend: DummyBackend) -> int:
    """Run every task queued so far, in order (and those they queue, on a later call)."""
    pending = list(backend.results)
    backend.clear()
    for result in pending:
        result.task.call(*result.args, **result.kwargs)
    return len(pending)
