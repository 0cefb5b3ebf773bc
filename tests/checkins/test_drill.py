"""The drill: missed check-ins, end to end, as in production. The real `manage.py worker` runs in
processes of its own on the test database, sends email to a real SMTP server and posts to a real
relay started here, on real time (the deadlines are already due when the workers start).

It proves that an alert goes out by every channel exactly once, when two workers run at once and
when a worker is killed in the middle of sending and another takes over; and that no message that
leaves the app carries anything of the check-in (a canary in every free-text field finds none).

Run with `-s` to see the figures: messages checked, duplicates, time from deadline to delivery.
"""

import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from checkins import alerts, services
from checkins.models import CheckIn, CheckInEntry
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.kinds import kind_of
from safespaces.notifications.models import Address, Channel, Delivery, Notification
from safespaces.notifications.sending import SIGNATURE_HEADER, TIMESTAMP_HEADER, message_for
from safespaces.places.models import Place
from safespaces.worker.heartbeat import STALE_AFTER
from safespaces.worker.models import Heartbeat
from tests.factories import RiskSituationFactory, UserFactory
from tests.processes import shared_with_another_process, worker_start
from tests.servers import Mail, Mailbox, Post, Relay

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
]

SITE_URL = "https://safespaces.example.org"
SECRET = "drill-relay-secret-0123456789abcdefghijklmnop"
# In every free-text field of the check-ins and in the name of the person out in the field: no
# message that leaves the app may carry it.
CANARY = "Kx7Canary"
WORKER_SECONDS = 60  # a worker that has not finished by then is stuck


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with Mailbox() as box:
        yield box


@pytest.fixture(scope="module")
def relay() -> Iterator[Relay]:
    with Relay() as server:
        yield server


@pytest.fixture
def channels(settings: Settings, mailbox: Mailbox, relay: Relay) -> dict[str, str]:
    """Email and relay on, here (where alerts raised by a service choose their channels) and in
    the workers (which send); the environment the workers get."""
    mailbox.reset()
    relay.reset()
    settings.EMAIL_URL, settings.WEBHOOK_URL = mailbox.url, relay.url
    settings.WEBHOOK_SECRET, settings.SITE_URL = SECRET, SITE_URL
    return {
        "EMAIL_URL": mailbox.url,
        "WEBHOOK_URL": relay.url,
        "WEBHOOK_SECRET": SECRET,
        "SITE_URL": SITE_URL,
    }


def with_email(user: User) -> User:
    Address.objects.create(user=user, email=f"{user.username}@drill.example")
    return user


@pytest.fixture
def rosa(coordinator: User) -> User:
    """The coordinator on duty, watching every check-in."""
    return with_email(coordinator)


@pytest.fixture
def sam(other_staff: User) -> User:
    """Lin's buddy, watching too."""
    return with_email(other_staff)


@pytest.fixture
def lin(db: None) -> User:
    """Out in the field, under a name that must never leave the app."""
    return UserFactory(username="lin", display_name=f"Lin {CANARY}", role=Role.STAFF)


def check_in_out_now(person: User, watchers: list[User], by: User) -> CheckIn:
    """A check-in whose time is now, with no grace: missed from the moment it is started."""
    place = Place.objects.create(
        kind=Place.Kind.OUTREACH_SITE,
        name=f"Night market {CANARY}",
        address=f"Market Street {CANARY}",
        notes=f"Back door {CANARY}",
    )
    situation = RiskSituationFactory(title=f"Outreach {CANARY}", created_by=by)
    return services.check_in_start(
        person=person,
        activity=f"Outreach at the night market {CANARY}",
        place=place,
        company=f"Ana and Kestrel {CANARY}",
        due_at=timezone.now(),
        every_minutes=None,
        grace_minutes=0,
        watchers=watchers,
        situation=situation,
    )


def run_workers(
    database_url: str, env: dict[str, str], folder: Path, *worker_ids: str
) -> dict[str, str]:
    """Start the workers at the same moment and wait until each has run out of due tasks;
    return what each printed."""
    folder.mkdir(parents=True, exist_ok=True)
    started = []
    for worker_id in worker_ids:
        with (folder / f"{worker_id}.log").open("wb") as log:
            started.append(worker_start(database_url, worker_id=worker_id, output=log, env=env))
    for worker_id, process in zip(worker_ids, started, strict=True):
        returncode = process.wait(timeout=WORKER_SECONDS)
        output = (folder / f"{worker_id}.log").read_text()
        assert returncode == 0, f"{worker_id} failed:\n{output[-3000:]}"
    return {worker_id: (folder / f"{worker_id}.log").read_text() for worker_id in worker_ids}


def wait_for(condition: object, *, seconds: float = 30) -> None:
    """Poll until `condition()` holds; fail after `seconds`."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# --- What the messages must be --------------------------------------------------------------


def expected_messages(channel: Channel) -> Counter[tuple[str, str]]:
    """One message per delivery the app sent on `channel`: (email address or delivery id, the
    words), as the kind and the link make them."""
    expected: Counter[tuple[str, str]] = Counter()
    deliveries = Delivery.objects.filter(channel=channel, status=Delivery.Status.SENT)
    deliveries = deliveries.select_related("notification")
    for delivery in deliveries:
        notification = delivery.notification
        kind = kind_of(notification.kind)
        assert kind is not None
        to = (
            Address.objects.get(user=notification.recipient_id).email
            if channel == Channel.EMAIL
            else str(delivery.pk)
        )
        expected[to, message_for(kind, notification.link).body] += 1
    return expected


def received_emails(mails: list[Mail]) -> Counter[tuple[str, str]]:
    received: Counter[tuple[str, str]] = Counter()
    for mail in mails:
        body = mail.message.get_body(preferencelist=("plain",))
        assert body is not None
        (to,) = mail.recipients
        received[to, body.get_content().strip()] += 1
    return received


def received_posts(posts: list[Post]) -> Counter[tuple[str, str]]:
    received: Counter[tuple[str, str]] = Counter()
    for post in posts:
        payload = json.loads(post.body)
        received[payload["id"], payload["message"]] += 1
    return received


def assert_signed(post: Post) -> None:
    """The relay can tell the post came from us: HMAC-SHA256 of "<timestamp>.<body>"."""
    timestamp = post.headers[TIMESTAMP_HEADER.lower()]
    signed = hmac.new(SECRET.encode(), timestamp.encode() + b"." + post.body, hashlib.sha256)
    assert hmac.compare_digest(
        post.headers[SIGNATURE_HEADER.lower()], "sha256=" + signed.hexdigest()
    )
    assert abs(time.time() - int(timestamp)) < 120


def leaks(mails: list[Mail], posts: list[Post]) -> list[str]:
    """Every message, raw and decoded, that carries the canary."""
    found = []
    for mail in mails:
        for text in (mail.data.decode("utf-8", "replace"), mail.text()):
            if CANARY.lower() in text.lower():
                found.append(f"email to {mail.recipients}: {text}")
    for post in posts:
        payload = json.loads(post.body)
        for text in (post.body.decode(), *map(str, payload.values())):
            if CANARY.lower() in text.lower():
                found.append(f"post {payload['id']}: {text}")
    return found


def latencies(mails: list[Mail], check_ins: list[CheckIn]) -> tuple[list[float], list[float]]:
    """Seconds to each missed check-in's email from its deadline (its time plus the grace), and
    from the moment a worker took up the deadline's task (the deadline passed before any worker
    was up: starting one takes about a second)."""
    lapses = DBTaskResult.objects.filter(task_path__endswith=".check_in_lapse")
    taken_up = {result.args_kwargs["args"][0]: result.started_at for result in lapses}
    moments = {
        alerts.link_of(check_in): (check_in.alarm_due_at, taken_up[str(check_in.pk)])
        for check_in in check_ins
    }
    from_deadline, from_pickup = [], []
    for mail in mails:
        for link, (deadline, picked_up) in moments.items():
            if link in mail.text():
                from_deadline.append(mail.arrived_at - deadline.timestamp())
                from_pickup.append(mail.arrived_at - picked_up.timestamp())
    return from_deadline, from_pickup


def report(title: str, **figures: object) -> None:
    print(f"\n[drill] {title}: " + ", ".join(f"{name} {value}" for name, value in figures.items()))


def duplicates(received: Counter[tuple[str, str]]) -> int:
    return sum(count - 1 for count in received.values() if count > 1)


def seconds_range(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f} s"


# --- The drills -----------------------------------------------------------------------------


def test_two_workers_at_once_send_each_alert_once_by_email_and_relay_and_nothing_of_it(
    tmp_path: Path,
    mailbox: Mailbox,
    relay: Relay,
    channels: dict[str, str],
    lin: User,
    rosa: User,
    sam: User,
) -> None:
    # Four check-ins missed at this moment, for the workers to find.
    missed = [check_in_out_now(lin, [rosa, sam], by=rosa) for _ in range(4)]
    # Lin asked for help on a fifth; on a sixth too, then Rosa, who could not reach her, noted
    # her calls and closed it before any worker ran: the "over" message goes to Sam, and the
    # sixth's calls for help, answered in the app already, go nowhere.
    helped = check_in_out_now(lin, [rosa, sam], by=rosa)
    services.check_in_help(check_in=helped, by=lin)
    closed = check_in_out_now(lin, [rosa, sam], by=rosa)
    services.check_in_help(check_in=closed, by=lin)
    services.check_in_note(check_in=closed, by=rosa, note=f"Called Ana twice {CANARY}")
    services.check_in_close(
        check_in=closed, by=rosa, outcome=CheckIn.Outcome.NOT_REACHED, note=f"Gone {CANARY}"
    )
    # Every email waits unanswered until two are waiting at once: the workers overlapped.
    mailbox.hold(2, at_most=15)

    with shared_with_another_process(tmp_path / "db") as database_url:
        printed = run_workers(database_url, channels, tmp_path / "logs", "drill-a", "drill-b")

    # 4 missed x 2 watchers, 2 calls for help, 2 more and Sam told that one is over: 13 alerts,
    # of which 11 go out (the closed one's two calls for help were answered first).
    assert Notification.objects.count() == 13
    assert Delivery.objects.filter(channel=Channel.EMAIL).count() == 13
    assert Delivery.objects.filter(channel=Channel.WEBHOOK).count() == 13
    emails, posts = received_emails(mailbox.accepted), received_posts(relay.posts)
    assert emails == expected_messages(Channel.EMAIL)
    assert posts == expected_messages(Channel.WEBHOOK)
    assert sum(emails.values()) == 11 and sum(posts.values()) == 11
    for post in relay.posts:
        assert_signed(post)
    statuses = Counter(Delivery.objects.values_list("status", "attempts"))
    assert statuses == {(Delivery.Status.SENT, 1): 22, (Delivery.Status.ANSWERED, 0): 4}
    assert leaks(mailbox.accepted, relay.posts) == []
    for check_in in missed:
        check_in.refresh_from_db()
        assert check_in.status == CheckIn.Status.ALARM
        assert check_in.alarm == CheckIn.Alarm.MISSED
        assert check_in.entries.filter(kind=CheckInEntry.Kind.MISSED).count() == 1
    # Both workers took tasks, and at one moment both were sending.
    ran_by = Counter(
        result.worker_ids[-1]
        for result in DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    )
    assert set(ran_by) == {"drill-a", "drill-b"}, printed
    assert mailbox.most_waiting == 2
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).exists()
    from_deadline, from_pickup = latencies(mailbox.accepted, missed)
    assert len(from_deadline) == 8
    report(
        "two workers at once",
        emails=sum(emails.values()),
        relay_posts=sum(posts.values()),
        duplicates=duplicates(emails) + duplicates(posts),
        tasks_by_worker=dict(ran_by),
        deadline_to_email=seconds_range(from_deadline),
        worker_pickup_to_email=seconds_range(from_pickup),
        canary_leaks=0,
    )


def test_a_worker_killed_while_sending_is_replaced_and_the_alert_arrives_once(
    tmp_path: Path,
    mailbox: Mailbox,
    relay: Relay,
    channels: dict[str, str],
    lin: User,
    rosa: User,
) -> None:
    check_in = check_in_out_now(lin, [rosa], by=rosa)
    # The first worker raises the alarm, then hangs in the middle of sending the email: the SMTP
    # server has the message and has not said "250". There it is killed, with no warning.
    mailbox.hold(99)
    with shared_with_another_process(tmp_path / "first") as database_url:
        with (tmp_path / "killed.log").open("wb") as log:
            first = worker_start(database_url, worker_id="drill-killed", output=log, env=channels)
        try:
            wait_for(lambda: mailbox.arrived == 1 or first.poll() is not None)
            first.kill()
        finally:
            returncode = first.wait(timeout=WORKER_SECONDS)
        wait_for(lambda: mailbox.waiting == 0)
        mailbox.release()
    killed_at = timezone.now()

    assert returncode == -9, (tmp_path / "killed.log").read_text()[-3000:]
    assert mailbox.accepted == [] and relay.posts == []
    check_in.refresh_from_db()
    assert check_in.status == CheckIn.Status.ALARM
    email = Delivery.objects.get(channel=Channel.EMAIL)
    webhook = Delivery.objects.get(channel=Channel.WEBHOOK)
    # The email's task was running when the worker died; the relay's had not started.
    statuses = {
        result.args_kwargs["args"][0]: result.status
        for result in DBTaskResult.objects.filter(task_path__endswith=".deliver")
    }
    assert statuses == {
        str(email.pk): TaskResultStatus.RUNNING,
        str(webhook.pk): TaskResultStatus.READY,
    }
    # The time it takes a dead worker to be noticed (its heartbeat older than STALE_AFTER).
    Heartbeat.objects.filter(worker_id="drill-killed").update(
        beat_at=killed_at - STALE_AFTER - timedelta(seconds=1)
    )

    with shared_with_another_process(tmp_path / "second") as database_url:
        printed = run_workers(database_url, channels, tmp_path / "logs", "drill-restarted")

    assert "Put back in the queue 1 task(s) of workers that stopped." in printed["drill-restarted"]
    assert len(mailbox.accepted) == 1 and len(relay.posts) == 1
    assert received_emails(mailbox.accepted) == expected_messages(Channel.EMAIL)
    assert received_posts(relay.posts) == expected_messages(Channel.WEBHOOK)
    assert_signed(relay.posts[0])
    assert mailbox.accepted[0].recipients == ("rosa@drill.example",)
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.Status.SENT, 1)}
    assert check_in.entries.filter(kind=CheckInEntry.Kind.MISSED).count() == 1
    assert Notification.objects.filter(kind=alerts.MISSED).count() == 1
    assert leaks(mailbox.accepted, relay.posts) == []
    from_deadline, from_pickup = latencies(mailbox.accepted, [check_in])
    report(
        "a worker killed while sending",
        emails=len(mailbox.accepted),
        relay_posts=len(relay.posts),
        duplicates=len(mailbox.accepted) + len(relay.posts) - 2,
        deadline_to_email=seconds_range(from_deadline),
        canary_leaks=0,
    )
