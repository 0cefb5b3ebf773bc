import time_machine
from django.test import Client, override_settings

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.factories import PASSWORD


def log_in(client: Client, username: str, password: str = PASSWORD, **extra: str) -> object:
    return client.post("/login/", {"username": username, "password": password}, **extra)


def test_it_shows_the_login_form(client: Client, db: None) -> None:
    response = client.get("/login/")

    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_a_correct_password_leads_to_the_second_step(client: Client, staff: User) -> None:
    response = log_in(client, "lin")

    assert response["Location"] == "/login/verify/"
    assert client.get("/")["Location"] == "/login/verify/"


def test_a_user_without_a_second_factor_is_sent_to_enrol(client: Client, unverified: User) -> None:
    response = log_in(client, "noor")

    assert response["Location"] == "/login/enrol/"


def test_a_wrong_password_keeps_the_username_and_explains(client: Client, staff: User) -> None:
    response = log_in(client, "lin", "not the password")

    assert response.status_code == 200
    assert b"do not match" in response.content
    assert b'value="lin"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert (event.actor, event.object_id) == (None, str(staff.pk))


def test_an_unknown_username_is_audited_without_the_name(client: Client, db: None) -> None:
    log_in(client, "nobody-by-this-name", "whatever password")

    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert "nobody" not in f"{event.object_type}{event.object_id}{event.fields}"


def test_an_inactive_user_cannot_sign_in(client: Client, inactive: User) -> None:
    response = log_in(client, "kai")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_five_failures_pause_signing_in_for_that_username_and_address(
    client: Client, staff: User
) -> None:
    for _ in range(5):
        log_in(client, "lin", "wrong password")

    locked = log_in(client, "lin")

    assert locked.status_code == 429
    assert b"paused" in locked.content
    assert "_auth_user_id" not in client.session


def test_the_pause_does_not_lock_the_user_out_from_another_address(
    client: Client, staff: User
) -> None:
    for _ in range(5):
        log_in(client, "lin", "wrong password", REMOTE_ADDR="203.0.113.9")

    response = log_in(Client(), "lin", REMOTE_ADDR="198.51.100.7")

    assert response["Location"] == "/login/verify/"


def test_the_pause_ends_after_the_cool_off(client: Client, staff: User) -> None:
    with time_machine.travel("2026-11-20 10:00", tick=False):
        for _ in range(5):
            log_in(client, "lin", "wrong password")
    with time_machine.travel("2026-11-20 10:16", tick=False):
        response = log_in(client, "lin")

    assert response["Location"] == "/login/verify/"


def test_a_signed_in_user_opening_login_goes_home(client: Client, staff: User) -> None:
    from tests.conftest import sign_in

    response = sign_in(client, staff).get("/login/")

    assert response["Location"] == "/"


def test_a_try_during_the_pause_does_not_extend_it(client: Client, staff: User) -> None:
    with time_machine.travel("2026-11-20 10:00", tick=False) as clock:
        for _ in range(5):
            log_in(client, "lin", "wrong password")
        clock.move_to("2026-11-20 10:14")
        log_in(client, "lin", "another wrong password")
        clock.move_to("2026-11-20 10:16")
        response = log_in(client, "lin")

    assert response["Location"] == "/login/verify/"


def test_sign_ins_leave_no_address_log(client: Client, staff: User) -> None:
    from axes.models import AccessLog

    log_in(client, "lin", REMOTE_ADDR="203.0.113.77")

    assert not AccessLog.objects.exists()


@override_settings(PROXY_COUNT=1)
def test_behind_a_proxy_the_pause_is_per_client_address(client: Client, staff: User) -> None:
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(5):
        log_in(Client(), "lin", "wrong password", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)

    response = log_in(Client(), "lin", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)

    assert response["Location"] == "/login/verify/"


@override_settings(PROXY_COUNT=1)
def test_a_forged_forwarded_address_does_not_escape_the_pause(client: Client, staff: User) -> None:
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(5):
        forged = f"192.0.2.{n}, 203.0.113.9"  # the proxy appended the real address last
        log_in(Client(), "lin", "wrong password", HTTP_X_FORWARDED_FOR=forged, **proxy)

    response = log_in(Client(), "lin", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9", **proxy)

    assert response.status_code == 429
