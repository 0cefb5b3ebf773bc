"""Neutral mode: what leaves the app names neither the app nor the kind of thing, only how soon to
look, under the neutral name, so a lock screen or a mail provider learns nothing."""

import json
from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import translation
from django_tasks.backends.dummy import DummyBackend

from safespaces.accounts.models import User
from safespaces.notifications.kinds import kind_of
from safespaces.notifications.models import Address
from safespaces.notifications.sending import message_for
from safespaces.notifications.services import notify
from tests.notifications.conftest import SECRET, run_queued
from tests.notifications.test_delivery import Relay, relay  # noqa: F401 - the relay fixture


@pytest.fixture
def neutral() -> Iterator[None]:
    with override_settings(NEUTRAL_MODE=True):
        yield


@pytest.mark.usefixtures("email_on", "neutral")
def test_an_urgent_email_comes_from_notes_and_only_says_to_look_now(
    queue: DummyBackend, staff: User
) -> None:
    Address.objects.create(user=staff, email="lin@example.org")

    notify(kind="tests.check_in_overdue", recipients=[staff], link="/people/")
    run_queued(queue)

    [sent] = mail.outbox
    assert sent.from_email == "Notes <alerts@example.org>"
    assert sent.subject == "Notes: please look now"
    assert (
        sent.body == "Notes: please look now. Open the app: https://safespaces.example.org/people/"
    )
    for telling in ["Garden Club", "SafeSpaces", "check-in", "overdue"]:
        assert telling not in sent.subject + sent.body + sent.from_email


@pytest.mark.usefixtures("neutral")
def test_a_routine_message_only_says_there_is_something_new() -> None:
    kind = kind_of("tests.routine")
    assert kind is not None

    message = message_for(kind, "/")

    assert message.subject == "Notes: something new to read"
    assert "review" not in message.subject + message.body


def test_without_neutral_mode_the_message_names_the_kind() -> None:
    kind = kind_of("tests.routine")
    assert kind is not None

    assert message_for(kind, "/").subject == "SafeSpaces: a review is due"


@pytest.mark.usefixtures("email_on")
def test_an_organization_may_choose_its_own_neutral_name(queue: DummyBackend, staff: User) -> None:
    Address.objects.create(user=staff, email="lin@example.org")

    with override_settings(NEUTRAL_MODE=True, NEUTRAL_TITLE="Recipes"):
        notify(kind="tests.check_in_overdue", recipients=[staff], link="/")
        run_queued(queue)

    [sent] = mail.outbox
    assert sent.from_email == "Recipes <alerts@example.org>"
    assert sent.subject == "Recipes: please look now"


@pytest.mark.usefixtures("neutral")
def test_the_relay_title_and_message_are_neutral(
    queue: DummyBackend,
    relay: str,  # noqa: F811 - the fixture
    staff: User,
) -> None:
    Address.objects.create(user=staff, relay="+15550100")
    with override_settings(
        WEBHOOK_URL=relay, WEBHOOK_SECRET=SECRET, SITE_URL="https://s.example.org"
    ):
        notify(kind="tests.check_in_overdue", recipients=[staff], link="/people/")
        run_queued(queue)

    [(_headers, body)] = Relay.received
    payload = json.loads(body)
    assert payload["title"] == "Notes"
    assert (
        payload["message"] == "Notes: please look now. Open the app: https://s.example.org/people/"
    )


@pytest.mark.usefixtures("email_on", "neutral")
def test_an_email_goes_out_in_the_language_its_recipient_chose(
    queue: DummyBackend, staff: User, coordinator: User
) -> None:
    staff.language = "fr"
    staff.save()
    for user, email in [(staff, "lin@example.org"), (coordinator, "sam@example.org")]:
        Address.objects.create(user=user, email=email)

    notify(kind="tests.check_in_overdue", recipients=[staff, coordinator], link="/")
    run_queued(queue)

    with translation.override("fr"):
        french = translation.gettext("please look now")
    subjects = {sent.to[0]: sent.subject for sent in mail.outbox}
    assert french != "please look now"
    assert french in subjects["lin@example.org"]
    assert "please look now" not in subjects["lin@example.org"]
    assert subjects["sam@example.org"] == "Notes: please look now"
