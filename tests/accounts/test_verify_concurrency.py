"""Second-factor codes checked at the same moment for several sessions, on real threads.

The threads call `second_factor_verify` itself, each in its own transaction on its own database
connection, as requests on several workers do, so that nothing but the device lock could make
them take turns. A code works once and every check counts towards the back-off because the
device row is locked while a code is checked.
"""

import threading

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, transaction
from django.http import HttpRequest
from django.test import RequestFactory, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCodeDevice, User
from safespaces.accounts.services import backup_codes_regenerate, second_factor_verify
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


def password_steps(user: User) -> list[HttpRequest]:
    """Requests of sessions that gave the password and now owe the second factor."""
    requests = []
    for _ in range(SESSIONS):
        request = RequestFactory().post("/login/verify/")
        request.session = SessionStore()
        request.user = User.objects.get(pk=user.pk)
        requests.append(request)
    return requests


def all_at_once(requests: list[HttpRequest], code: str) -> list[bool]:
    """Check `code` for every session at the same moment; whether each was signed in."""
    start = threading.Barrier(len(requests))
    answers = [False] * len(requests)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                answers[index] = second_factor_verify(request=requests[index], token=code)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return answers


def test_one_authenticator_code_signs_in_one_session_only(staff: User) -> None:
    answers = all_at_once(password_steps(staff), current_code(staff))

    assert answers.count(True) == 1
    assert answers.count(False) == SESSIONS - 1


# Without back-off every wrong code is checked, so each one must be counted: with it, the ones
# that arrive during the wait are refused unchecked, which hides lost counts.
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_every_wrong_authenticator_code_counts(staff: User) -> None:
    answers = all_at_once(password_steps(staff), wrong_code(staff))

    assert answers == [False] * SESSIONS
    device = TOTPDevice.objects.get(user=staff)
    assert device.throttling_failure_count == SESSIONS


def test_one_backup_code_signs_in_one_session_only(staff: User) -> None:
    code = backup_codes_regenerate(user=staff)[0]

    answers = all_at_once(password_steps(staff), code)

    assert answers.count(True) == 1
    assert answers.count(False) == SESSIONS - 1
    assert BackupCodeDevice.objects.get(user=staff).codes.count() == 9
