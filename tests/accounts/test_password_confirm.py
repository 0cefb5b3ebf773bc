"""Every page that asks for the password again counts wrong ones with sign-in's own throttle."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, override_settings

from safespaces.accounts import services
from safespaces.accounts.forms import PasswordChangeForm, PasswordConfirmForm
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD

NEW_PASSWORD = "blue kettle under the stairs"
LIMIT = settings.AXES_FAILURE_LIMIT


def backup_codes(password: str) -> dict[str, str]:
    return {"password": password}


def authenticator(password: str) -> dict[str, str]:
    return {"password": password, "code": "123456"}


def password_change(password: str) -> dict[str, str]:
    return {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


PAGES: dict[str, tuple[str, Callable[[str], dict[str, str]]]] = {
    "new backup codes": ("/account/backup-codes/", backup_codes),
    "new authenticator": ("/account/authenticator/", authenticator),
    "password change": ("/account/password/", password_change),
}


def answered_wrong_password(response: object) -> bool:
    return response.status_code == 200 and b"not your current password" in response.content  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", PAGES)
def test_twenty_wrong_passwords_end_the_session_at_the_sign_in_limit(
    page: str, client: Client, staff: User
) -> None:
    url, form = PAGES[page]
    sign_in(client, staff)

    answers = [client.post(url, form("wrong password")) for _ in range(20)]

    # The try that reaches the limit ends the session instead of answering.
    wrong = [answer for answer in answers if answered_wrong_password(answer)]
    assert len(wrong) == LIMIT - 1
    assert answers[: LIMIT - 1] == wrong
    assert all(answer["Location"] == "/login/" for answer in answers[LIMIT - 1 :])
    assert client.get("/account/")["Location"] == "/login/"
    failed = AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_CONFIRMATION_FAILED, actor=staff
    )
    assert failed.count() == LIMIT
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=staff).count() == 1


@pytest.mark.parametrize("page", PAGES)
def test_after_the_limit_the_right_password_is_refused_until_the_pause_ends(
    page: str, client: Client, staff: User
) -> None:
    url, form = PAGES[page]
    sign_in(client, staff)
    for _ in range(LIMIT - 1):
        client.post(url, form("wrong password"))

    ended = client.post(url, form("wrong password"), follow=True)
    right = client.post("/login/", {"username": "lin", "password": PASSWORD})

    assert ended.redirect_chain == [("/login/", 302)]
    assert b"Too many wrong passwords" in ended.content
    assert right.status_code == 429
    assert b"paused" in right.content
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_and_wrong_confirmations_add_up(client: Client, staff: User) -> None:
    for _ in range(LIMIT - 2):
        Client().post("/login/", {"username": "lin", "password": "wrong password"})
    sign_in(client, staff)

    first = client.post("/account/backup-codes/", {"password": "wrong password"})
    second = client.post("/account/backup-codes/", {"password": "wrong password"})

    assert answered_wrong_password(first)
    assert second["Location"] == "/login/"
    assert client.get("/account/")["Location"] == "/login/"


def test_a_wrong_try_from_another_address_does_not_count_here(client: Client, staff: User) -> None:
    for _ in range(LIMIT - 1):
        Client().post(
            "/login/", {"username": "lin", "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
        )
    sign_in(client, staff)

    response = client.post("/account/backup-codes/", {"password": "wrong password"})

    assert answered_wrong_password(response)
    assert client.get("/account/").status_code == 200


def test_the_right_password_clears_the_count_as_signing_in_does(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)
    for _ in range(LIMIT - 1):
        client.post("/account/backup-codes/", {"password": "wrong password"})

    right = client.post("/account/backup-codes/", {"password": PASSWORD})
    wrong_again = client.post("/account/backup-codes/", {"password": "wrong password"})

    assert b"Your backup codes" in right.content
    assert answered_wrong_password(wrong_again)
    assert client.get("/account/").status_code == 200


def test_the_throttle_keeps_no_password_typed_on_the_change_page(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)

    response = client.post("/account/password/", password_change("wrong password"))

    assert answered_wrong_password(response)
    attempt = AccessAttempt.objects.get(username="lin")
    assert attempt.failures_since_start == 1
    assert "wrong password" not in attempt.post_data
    assert NEW_PASSWORD not in attempt.post_data


@pytest.mark.parametrize("page", PAGES)
def test_every_page_checks_the_password_through_password_confirm(
    page: str, client: Client, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, form = PAGES[page]
    checked: list[str] = []
    real = services.password_confirm

    def spy(**kwargs: object) -> bool:
        checked.append(kwargs["password"])  # type: ignore[arg-type]
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "password_confirm", spy)
    sign_in(client, staff)

    response = client.post(url, form("wrong password"))

    assert answered_wrong_password(response)
    assert checked == ["wrong password"]


def test_no_other_code_checks_a_password(db: None) -> None:
    root = Path(settings.BASE_DIR)
    checks = re.compile(r"\bcheck_password\(|\bauthenticate\(")
    sources = [
        path
        for folder in ("safespaces", "incidents", "allies", "riskassessment")
        for path in (root / folder).rglob("*.py")
    ]

    found = {
        path.relative_to(root).as_posix() for path in sources if checks.search(path.read_text())
    }

    assert len(sources) > 50
    assert found == {"safespaces/accounts/services.py"}


@pytest.mark.parametrize("page", PAGES)
def test_wrong_passwords_from_changing_addresses_end_the_session_at_the_limit(
    page: str, client: Client, staff: User
) -> None:
    url, form = PAGES[page]
    sign_in(client, staff)

    # A new address for every try: sign-in's throttle, per address, never reaches its limit.
    answers = [
        client.post(url, form("wrong password"), REMOTE_ADDR=f"198.51.100.{try_number}")
        for try_number in range(2 * LIMIT)
    ]

    wrong = [answer for answer in answers if answered_wrong_password(answer)]
    assert answers[: LIMIT - 1] == wrong
    assert answers[LIMIT - 1]["Location"] == "/login/"
    assert client.get("/account/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=staff).count() == 1


@override_settings(PROXY_COUNT=1)
def test_behind_a_proxy_changing_forwarded_addresses_gain_nothing_either(
    client: Client, staff: User
) -> None:
    sign_in(client, staff)

    answers = [
        client.post(
            "/account/backup-codes/",
            {"password": "wrong password"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{try_number}",
        )
        for try_number in range(LIMIT)
    ]

    assert all(answered_wrong_password(answer) for answer in answers[:-1])
    assert answers[-1]["Location"] == "/login/"
    assert client.get("/account/")["Location"] == "/login/"


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=30))
@pytest.mark.parametrize("page", PAGES)
def test_the_messages_give_the_limit_and_pause_in_force(
    page: str, client: Client, staff: User
) -> None:
    url, form = PAGES[page]
    sign_in(client, staff)

    wrong = client.post(url, form("wrong password"))
    client.post(url, form("wrong password"))
    ended = client.post(url, form("wrong password"), follow=True)

    assert answered_wrong_password(wrong)
    assert b"After 3 wrong tries" in wrong.content
    assert b"pauses for 30 minutes" in wrong.content
    assert ended.redirect_chain == [("/login/", 302)]
    assert b"within 30 minutes" in ended.content
    assert b"15 minutes" not in ended.content


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=timedelta(minutes=1))
def test_the_sign_in_message_gives_the_limit_and_pause_in_force(
    client: Client, staff: User
) -> None:
    response = client.post("/login/", {"username": "lin", "password": "wrong password"})

    assert response.status_code == 200
    assert b"after 3 failed tries" in response.content
    assert b"pauses for 1 minute." in response.content


def test_the_forms_take_the_password_in_and_check_nothing(staff: User) -> None:
    # Checking, counting and signing out belong to password_confirm, which the views call.
    confirm = PasswordConfirmForm({"password": "wrong password"})
    change = PasswordChangeForm(staff, password_change("wrong password"))

    assert confirm.is_valid() and change.is_valid()
    assert change.cleaned_data["old_password"] == "wrong password"
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD_CONFIRMATION_FAILED
    ).exists()
    assert not AccessAttempt.objects.exists()
