from datetime import timedelta

import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCodeDevice, User
from safespaces.accounts.services import backup_codes_regenerate
from safespaces.audit.models import AuditEvent
from tests.conftest import current_code, wrong_code
from tests.factories import PASSWORD


def password_step(client: Client, user: User) -> Client:
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    return client


def test_a_correct_code_signs_in_and_cycles_the_session_key(client: Client, staff: User) -> None:
    password_step(client, staff)
    key_before = client.session.session_key

    response = client.post("/login/verify/", {"code": current_code(staff)})

    assert response["Location"] == "/"
    assert client.session.session_key != key_before
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=staff).count() == 1


def test_a_wrong_code_is_refused_with_an_explanation(client: Client, staff: User) -> None:
    password_step(client, staff)

    response = client.post("/login/verify/", {"code": "000000"})

    assert response.status_code == 200
    assert b"did not work" in response.content
    assert client.get("/")["Location"] == "/login/verify/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_FAILED).count() == 1


def test_a_code_cannot_be_used_twice(staff: User) -> None:
    with time_machine.travel("2026-11-20 10:00:05", tick=False):
        code = current_code(staff)
        first = password_step(Client(), staff).post("/login/verify/", {"code": code})
        second = password_step(Client(), staff).post("/login/verify/", {"code": code})

    assert first["Location"] == "/"
    assert second.status_code == 200


def test_a_backup_code_works_once(staff: User) -> None:
    codes = backup_codes_regenerate(user=staff)

    first = password_step(Client(), staff).post("/login/verify/", {"code": codes[0].upper()})
    second = password_step(Client(), staff).post("/login/verify/", {"code": codes[0]})

    assert first["Location"] == "/"
    assert second.status_code == 200
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BACKUP_CODE_USED).count() == 1


def test_a_user_with_only_backup_codes_can_sign_in_and_is_told_to_set_up_an_app(
    client: Client, unverified: User
) -> None:
    codes = backup_codes_regenerate(user=unverified)
    password_step(client, unverified)

    client.post("/login/verify/", {"code": codes[3]})
    home = client.get("/")

    assert home.status_code == 200
    assert b"Set up an authenticator app" in home.content


def test_repeated_failures_slow_down_guessing(client: Client, staff: User) -> None:
    password_step(client, staff)
    with time_machine.travel("2026-11-20 10:00:00", tick=False):
        for _ in range(3):
            client.post("/login/verify/", {"code": "000000"})
        # A right code during the back-off still fails: the device refuses to check it.
        response = client.post("/login/verify/", {"code": current_code(staff)})

    assert response.status_code == 200


def test_the_wait_after_thirty_wrong_codes_is_fifteen_minutes(client: Client, staff: User) -> None:
    with time_machine.travel("2026-11-20 10:00:00", tick=False) as clock:
        password_step(client, staff)
        for _ in range(30):
            clock.shift(timedelta(minutes=15))
            client.post("/login/verify/", {"code": wrong_code(staff)})
        # Each wrong code above was checked and counted: none came during a wait.
        counted = TOTPDevice.objects.get(user=staff).throttling_failure_count
        clock.shift(timedelta(minutes=14))
        too_early = client.post("/login/verify/", {"code": current_code(staff)})
        clock.shift(timedelta(minutes=1))
        response = client.post("/login/verify/", {"code": current_code(staff)})

    assert counted == 30
    assert too_early.status_code == 200
    assert response["Location"] == "/"
    assert TOTPDevice.objects.get(user=staff).throttling_failure_count == 0


def test_the_wait_after_thirty_wrong_backup_codes_is_fifteen_minutes(
    client: Client, staff: User
) -> None:
    codes = backup_codes_regenerate(user=staff)
    with time_machine.travel("2026-11-20 10:00:00", tick=False) as clock:
        password_step(client, staff)
        for _ in range(30):
            clock.shift(timedelta(minutes=15))
            client.post("/login/verify/", {"code": "aaaaa-aaaaa"})
        counted = BackupCodeDevice.objects.get(user=staff).throttling_failure_count
        clock.shift(timedelta(minutes=14))
        too_early = client.post("/login/verify/", {"code": codes[0]})
        clock.shift(timedelta(minutes=1))
        response = client.post("/login/verify/", {"code": codes[0]})

    assert counted == 30
    assert too_early.status_code == 200
    assert response["Location"] == "/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BACKUP_CODE_USED).count() == 1
