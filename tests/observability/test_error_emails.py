"""A page that fails (500) tells every administrator with an email address, in their language:
the error's class, the route, the request id, the time and the frames, never the request's data;
an error that repeats is told once in a while, not each time."""

from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import Client, override_settings
from django_tasks.backends.dummy import DummyBackend

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.notifications.models import Address
from safespaces.observability import errors
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.notifications.conftest import email_on, queue, run_queued  # noqa: F401 - fixtures

CANARY = "zzcanary-words-of-a-survivor"


@pytest.fixture(autouse=True)
def fresh_throttle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "throttle", errors.Throttle())


@pytest.fixture
def home_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def fails(*args: object, **kwargs: object) -> None:
        secret = CANARY  # a local variable of the failing frame
        raise RuntimeError(f"could not read {secret}")

    monkeypatch.setattr("safespaces.views.panels_for", fails)


@pytest.fixture
def administrators(administrator: User) -> Iterator[list[User]]:
    """Two administrators who read Spanish and French, each with an email address."""
    administrator.language = "es"
    administrator.save()
    second = UserFactory(role=Role.ADMINISTRATOR, language="fr")
    Address.objects.create(user=administrator, email="ana@example.org")
    Address.objects.create(user=second, email="bea@example.org")
    yield [administrator, second]


def open_failing_page(user: User) -> str:
    client = sign_in(Client(raise_request_exception=False), user)
    client.cookies["preference"] = CANARY
    response = client.get(f"/?q={CANARY}")
    assert response.status_code == 500
    return response["X-Request-ID"]


def test_each_administrator_gets_the_error_in_their_language_without_the_request(
    email_on: None,  # noqa: F811 - the fixture
    queue: DummyBackend,  # noqa: F811 - the fixture
    administrators: list[User],
    staff: User,
    home_fails: None,
) -> None:
    Address.objects.create(user=staff, email="staff@example.org")

    request_id = open_failing_page(staff)
    run_queued(queue)

    by_address = {message.to[0]: message for message in mail.outbox}
    assert sorted(by_address) == ["ana@example.org", "bea@example.org"]
    spanish, french = by_address["ana@example.org"], by_address["bea@example.org"]
    assert spanish.subject == "Garden Club: una página falló con un error"
    assert french.subject == "Garden Club : une page a échoué à cause d'une erreur"
    for message in (spanish, french):
        assert f": {request_id}\n" in message.body
        assert ": RuntimeError\n" in message.body
        assert ": home\n" in message.body
        assert "tests/observability/test_error_emails.py, line " in message.body
        assert "in fails" in message.body
        assert CANARY not in message.body
        assert "could not read" not in message.body
        assert "q=" not in message.body
        assert message.from_email == "Garden Club <alerts@example.org>"


def test_a_repeated_error_is_told_once_and_another_page_again(
    email_on: None,  # noqa: F811 - the fixture
    queue: DummyBackend,  # noqa: F811 - the fixture
    administrators: list[User],
    staff: User,
    home_fails: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_failing_page(staff)
    open_failing_page(staff)
    monkeypatch.setattr("safespaces.notifications.views.inbox_of", fails_too)
    other = sign_in(Client(raise_request_exception=False), staff).get("/notifications/")

    assert other.status_code == 500
    assert run_queued(queue) == 2
    assert len(mail.outbox) == 4  # two reports, to two administrators


def fails_too(user: User) -> None:
    raise RuntimeError


def test_the_throttle_lets_a_report_through_again_after_its_window() -> None:
    throttle = errors.Throttle(repeat_after=60, per_hour=3)
    key = ("RuntimeError", "home")

    assert [throttle.allow(key, now=t) for t in (0, 59, 60)] == [True, False, True]
    assert [throttle.allow(("KeyError", str(n)), now=61) for n in range(2)] == [True, False]
    assert throttle.allow(("KeyError", "late"), now=3601) is True


def test_in_neutral_mode_only_the_request_id_and_time_are_told(
    email_on: None,  # noqa: F811 - the fixture
    queue: DummyBackend,  # noqa: F811 - the fixture
    administrators: list[User],
    staff: User,
    home_fails: None,
) -> None:
    with override_settings(NEUTRAL_MODE=True):
        request_id = open_failing_page(staff)
        run_queued(queue)

    body = mail.outbox[0].body
    assert len(mail.outbox) == 2
    assert f": {request_id}\n" in body
    assert "RuntimeError" not in body
    assert "home" not in body
    assert ".py" not in body
    assert "Garden Club" not in mail.outbox[0].subject


def test_nothing_is_queued_for_pages_that_answer_or_without_email(
    queue: DummyBackend,  # noqa: F811 - the fixture
    administrators: list[User],
    staff: User,
    home_fails: None,
) -> None:
    open_failing_page(staff)  # no EMAIL_URL
    with override_settings(EMAIL_URL="smtp://mail.example.org:587"):
        missing = sign_in(Client(), staff).get("/incidents/00000000-0000-4000-8000-000000000000/")

    assert missing.status_code == 404
    assert run_queued(queue) == 0
    assert mail.outbox == []
