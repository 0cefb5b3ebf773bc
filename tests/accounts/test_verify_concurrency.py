"""Second-factor codes submitted at the same moment from several sessions, on real threads.

Each thread is its own request with its own database connection, as on a server with several
workers. The device row is locked while a code is checked, so a code works once and every
check counts towards the back-off.
"""

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCodeDevice, User
from safespaces.accounts.services import backup_codes_regenerate
from tests.conftest import current_code, wrong_code

SESSIONS = 8

pytestmark = [
    # Committed for real, so other connections see it; the rows migrations wrote (roles,
    # permissions) are reloaded before each test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("committed_for_real"),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason=(
            "SQLite runs one write transaction at a time (IMMEDIATE), so codes cannot race there; "
            "its in-memory test database answers a second thread with 'table is locked' instead "
            "of waiting."
        ),
    ),
]


def password_steps(user: User) -> list[Client]:
    """Sessions that gave the password and now owe the second factor."""
    clients = [Client() for _ in range(SESSIONS)]
    for client in clients:
        client.force_login(user)
    return clients


def all_at_once(clients: list[Client], submit: Callable[[Client], HttpResponse]) -> list[int | str]:
    """Submit from every session at the same moment; each answer's redirect or status."""
    start = threading.Barrier(len(clients))
    answers: list[int | str] = [0] * len(clients)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            response = submit(clients[index])
            answers[index] = response.get("Location") or response.status_code
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


def test_one_authenticator_code_signs_in_one_session_only(staff: User) -> None:
    clients = password_steps(staff)
    code = current_code(staff)

    answers = all_at_once(clients, lambda c: c.post("/login/verify/", {"code": code}))

    assert answers.count("/") == 1
    assert answers.count(200) == SESSIONS - 1


# Without back-off every wrong code is checked, so each one must be counted: with it, the ones
# that arrive during the wait are refused unchecked, which hides lost counts.
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_every_wrong_authenticator_code_counts(staff: User) -> None:
    clients = password_steps(staff)
    code = wrong_code(staff)

    answers = all_at_once(clients, lambda c: c.post("/login/verify/", {"code": code}))

    assert answers == [200] * SESSIONS
    device = TOTPDevice.objects.get(user=staff)
    assert device.throttling_failure_count == SESSIONS


def test_one_backup_code_signs_in_one_session_only(staff: User) -> None:
    code = backup_codes_regenerate(user=staff)[0]
    clients = password_steps(staff)

    answers = all_at_once(clients, lambda c: c.post("/login/verify/", {"code": code}))

    assert answers.count("/") == 1
    assert answers.count(200) == SESSIONS - 1
    assert BackupCodeDevice.objects.get(user=staff).codes.count() == 9
