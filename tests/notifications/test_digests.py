"""Digests: at most one a day per person and kind, on the organization's clock, however often the
task that sends them runs; by email by default."""

from datetime import UTC

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django_tasks.backends.dummy import DummyBackend

from safespaces.accounts.models import User
from safespaces.notifications.models import Address, Delivery, Notification
from safespaces.notifications.services import UnknownKind, digest_notify
from tests.conftest import local
from tests.notifications.conftest import run_queued

pytestmark = pytest.mark.django_db

SUMMARY = "tests.summary"


def send(*recipients: User) -> list[str]:
    """Send the test digest to `recipients`; the usernames of those it was sent to."""
    made = digest_notify(kind=SUMMARY, recipients=recipients, link="/")
    return sorted(notification.recipient.username for notification in made)


def test_a_second_run_the_same_day_tells_only_who_was_not_told_yet(
    staff: User, other_staff: User
) -> None:
    with time_machine.travel(local(2026, 6, 1, 7, 0), tick=False):
        first = send(staff)
    with time_machine.travel(local(2026, 6, 1, 9, 30), tick=False):
        again = send(staff, other_staff)

    assert first == [staff.username]
    assert again == [other_staff.username]
    assert Notification.objects.filter(kind=SUMMARY, recipient=staff).count() == 1


def test_the_next_day_brings_the_next_digest(staff: User) -> None:
    with time_machine.travel(local(2026, 6, 1, 7, 0), tick=False):
        send(staff)
    with time_machine.travel(local(2026, 6, 2, 7, 0), tick=False):
        told = send(staff)

    assert told == [staff.username]
    assert Notification.objects.filter(kind=SUMMARY, recipient=staff).count() == 2


@override_settings(TIME_ZONE="Europe/Berlin")
def test_the_day_is_the_organizations(staff: User) -> None:
    # 23:30 and 00:30 in Berlin are one day apart, though both fall on 1 June in UTC.
    with time_machine.travel(local(2026, 6, 1, 23, 30), tick=False):
        send(staff)
    with time_machine.travel(local(2026, 6, 2, 0, 30), tick=False):
        told = send(staff)

    late, early = local(2026, 6, 1, 23, 30), local(2026, 6, 2, 0, 30)
    assert late.astimezone(UTC).date() == early.astimezone(UTC).date()
    assert told == [staff.username]
    assert Notification.objects.filter(kind=SUMMARY, recipient=staff).count() == 2


@pytest.mark.usefixtures("email_on")
def test_a_digest_goes_by_email_once_however_often_it_runs(
    queue: DummyBackend, staff: User
) -> None:
    Address.objects.create(user=staff, email="lin@example.org")
    with time_machine.travel(local(2026, 6, 1, 7, 0), tick=False):
        send(staff)
        send(staff)
        run_queued(queue)

    [sent] = mail.outbox
    assert sent.to == ["lin@example.org"]
    assert sent.subject == "Garden Club: some reviews are due"
    assert Delivery.objects.get().channel == "email"


def test_only_a_digest_kind_is_sent_as_a_digest(staff: User) -> None:
    with pytest.raises(UnknownKind, match="not a registered digest kind"):
        digest_notify(kind="tests.routine", recipients=[staff], link="/")

    assert not Notification.objects.exists()
