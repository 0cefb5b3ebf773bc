"""Email and relay deliveries: what leaves the app, retries with back-off, failures recorded."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings
from django_tasks.backends.dummy import DummyBackend

from safespaces.accounts.models import User
from safespaces.notifications.models import Address, Attempt, Delivery, Notification
from safespaces.notifications.services import notify
from safespaces.notifications.tasks import MAX_ATTEMPTS
from tests.conftest import local, sign_in
from tests.factories import IncidentFactory, PersonFactory
from tests.notifications.conftest import SECRET, run_queued

ALIAS = "CANARY-ALIAS-Swallow"
SUMMARY = "CANARY-SUMMARY-threat-at-the-shelter"


def with_email(user: User, address: str = "lin@example.org") -> User:
    Address.objects.create(user=user, email=address)
    return user


@pytest.mark.usefixtures("email_on")
def test_an_email_says_only_what_kind_of_thing_and_where(queue: DummyBackend, staff: User) -> None:
    person = PersonFactory(alias=ALIAS)
    incident = IncidentFactory(reporter=staff, summary=SUMMARY)
    with_email(staff)

    notify(kind="tests.check_in_overdue", recipients=[staff], link=f"/incidents/{incident.pk}/")
    run_queued(queue)

    [sent] = mail.outbox
    assert sent.to == ["lin@example.org"]
    assert sent.from_email == "Garden Club <alerts@example.org>"
    assert sent.subject == "Garden Club: a check-in is overdue"
    assert sent.body == (
        "Garden Club: a check-in is overdue. Open the app: "
        f"https://safespaces.example.org/incidents/{incident.pk}/"
    )
    for secret in [ALIAS, SUMMARY, "SafeSpaces", staff.username, "Lin", str(person.pk)]:
        assert secret not in sent.subject + sent.body + sent.from_email
    assert Delivery.objects.get().status == Delivery.Status.SENT


@pytest.mark.usefixtures("email_on")
def test_no_email_without_an_address_but_the_notification_is_in_the_app(
    queue: DummyBackend, staff: User
) -> None:
    notify(kind="tests.check_in_overdue", recipients=[staff], link="/")

    assert run_queued(queue) == 0
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=staff).count() == 1


@pytest.mark.usefixtures("email_on")
def test_a_deactivated_account_gets_nothing_outside_the_app(
    queue: DummyBackend, inactive: User
) -> None:
    with_email(inactive)

    notify(kind="tests.check_in_overdue", recipients=[inactive], link="/")

    assert run_queued(queue) == 0
    assert Notification.objects.filter(recipient=inactive).count() == 1


class Relay(BaseHTTPRequestHandler):
    received: list[tuple[Message, bytes]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Relay.received.append((self.headers, body))
        self.send_response(Relay.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass  # quiet in test output


@pytest.fixture
def relay() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Relay)
    Relay.received, Relay.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_the_relay_gets_a_small_json_signed_with_hmac_sha256(
    queue: DummyBackend, relay: str, staff: User
) -> None:
    Address.objects.create(user=staff, relay="+15550100")
    with override_settings(
        WEBHOOK_URL=relay, WEBHOOK_SECRET=SECRET, SITE_URL="https://s.example.org"
    ):
        notify(kind="tests.check_in_overdue", recipients=[staff], link="/people/")
        run_queued(queue)

    [(headers, body)] = Relay.received
    timestamp = headers["X-SafeSpaces-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert headers["X-SafeSpaces-Signature"] == "sha256=" + expected.hexdigest()
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["topic"] == "+15550100"
    assert payload["message"] == (
        "SafeSpaces: a check-in is overdue. Open the app: https://s.example.org/people/"
    )
    assert payload["click"] == "https://s.example.org/people/"
    assert (payload["kind"], payload["urgency"], payload["priority"]) == (
        "tests.check_in_overdue",
        "urgent",
        5,
    )
    assert set(payload) == {
        "id",
        "kind",
        "urgency",
        "topic",
        "title",
        "message",
        "click",
        "priority",
    }
    assert staff.username not in body.decode()
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_failing_relay_is_retried_with_back_off_then_given_up_and_escalated(
    queue: DummyBackend, relay: str, staff: User, administrator: User
) -> None:
    Relay.status = 503
    start = local(2026, 5, 4, 9, 0)
    with (
        override_settings(WEBHOOK_URL=relay, WEBHOOK_SECRET=SECRET),
        time_machine.travel(start, tick=False),
    ):
        notify(kind="tests.check_in_overdue", recipients=[staff], link="/people/")
        waits = []
        for _ in range(MAX_ATTEMPTS):
            [queued] = queue.results
            waits.append(queued.task.run_after - start if queued.task.run_after else None)
            run_queued(queue)

    assert waits == [
        None,
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=15),
        timedelta(hours=1),
    ]
    assert len(Relay.received) == MAX_ATTEMPTS
    attempts = list(Attempt.objects.order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5]
    assert [a.outcome for a in attempts] == ["retrying"] * 4 + ["gave_up"]
    assert {(a.kind, a.channel, a.recipient, a.error) for a in attempts} == {
        ("tests.check_in_overdue", "webhook", staff, "HTTPError")
    }
    assert Delivery.objects.get(notification__recipient=staff).status == Delivery.Status.FAILED
    escalated = Notification.objects.get(kind="notifications.delivery_failed")
    assert (escalated.recipient, escalated.link) == (administrator, "/notifications/failures/")
    # The administrator hears by the relay too, one delivery queued for them.
    assert [list(r.args) for r in queue.results] == [
        [str(Delivery.objects.get(notification=escalated).pk), 1]
    ]


def test_a_failure_that_recovers_is_sent_on_the_next_try(
    queue: DummyBackend, relay: str, staff: User
) -> None:
    with override_settings(WEBHOOK_URL=relay, WEBHOOK_SECRET=SECRET):
        notify(kind="tests.check_in_overdue", recipients=[staff], link="/")
        Relay.status = 500
        run_queued(queue)
        Relay.status = 200
        run_queued(queue)

    assert [a.outcome for a in Attempt.objects.order_by("number")] == ["retrying", "sent"]
    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert run_queued(queue) == 0


def test_a_normal_kind_that_fails_for_good_does_not_escalate(
    queue: DummyBackend, staff: User, administrator: User
) -> None:
    with override_settings(WEBHOOK_URL="http://127.0.0.1:9/", WEBHOOK_SECRET=SECRET):
        notify(kind="account.sign_in", recipients=[staff], link="/")
        for _ in range(MAX_ATTEMPTS):
            run_queued(queue)

    assert Attempt.objects.filter(outcome="gave_up").count() == 1
    assert not Notification.objects.filter(kind="notifications.delivery_failed").exists()
    assert Notification.objects.filter(recipient=staff).count() == 1


def test_administrators_see_failures_without_messages_or_addresses(
    queue: DummyBackend, staff: User, administrator: User
) -> None:
    Address.objects.create(user=staff, relay="+15550100")
    with override_settings(WEBHOOK_URL="http://127.0.0.1:9/", WEBHOOK_SECRET=SECRET):
        notify(kind="tests.check_in_overdue", recipients=[staff], link="/people/")
        run_queued(queue)

    response = sign_in(Client(), administrator).get("/notifications/failures/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Check-in overdue" in page
    assert "URLError" in page
    assert "lin" in page
    assert "+15550100" not in page
    assert "a check-in is overdue" not in page


def test_staff_may_not_see_the_failures(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/notifications/failures/")

    assert response.status_code == 403
    assert b"Deliveries that failed" not in response.content


@pytest.mark.usefixtures("email_on")
def test_an_alert_answered_in_the_app_before_it_went_out_is_not_sent(
    queue: DummyBackend, staff: User
) -> None:
    with_email(staff)
    [answered] = notify(kind="tests.check_in_overdue", recipients=[staff], link="/")
    answered.read_at = local(2026, 6, 4, 22, 0)
    answered.save(update_fields=["read_at"])

    run_queued(queue)

    assert mail.outbox == []
    delivery = Delivery.objects.get(notification=answered)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.ANSWERED, 0)


@pytest.mark.usefixtures("email_on")
def test_a_security_notice_read_in_the_app_still_goes_out(queue: DummyBackend, staff: User) -> None:
    with_email(staff)
    [notice] = notify(kind="account.sign_in", recipients=[staff], link="/")
    notice.read_at = local(2026, 6, 4, 22, 0)
    notice.save(update_fields=["read_at"])

    run_queued(queue)

    [sent] = mail.outbox
    assert sent.subject == "Garden Club: a new sign-in to your account"
    assert Delivery.objects.get(notification=notice).status == Delivery.Status.SENT
