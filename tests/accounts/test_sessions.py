from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client, override_settings

from safespaces.accounts.models import User, UserSession
from safespaces.audit.models import AuditEvent
from tests.conftest import current_code, local, sign_in, sign_in_through_the_form
from tests.factories import PASSWORD

# Nothing in a session but these: login bookkeeping, never data about people or cases.
ALLOWED_SESSION_KEYS = {
    "_auth_user_id",
    "_auth_user_backend",
    "_auth_user_hash",
    "otp_device_id",
    "safespaces_started",
    "safespaces_seen",
    "safespaces_pending_device",
    "safespaces_session",
    "safespaces_wrong_passwords",
}


def test_an_idle_session_ends_after_thirty_minutes(staff: User) -> None:
    with time_machine.travel("2026-11-20 10:00", tick=False) as clock:
        client = sign_in(Client(), staff)
        assert client.get("/").status_code == 200
        clock.move_to("2026-11-20 10:29")
        assert client.get("/").status_code == 200
        clock.move_to("2026-11-20 11:00")
        response = client.get("/")

    assert response["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED).count() == 1


def test_a_busy_session_still_ends_after_twelve_hours(staff: User) -> None:
    with time_machine.travel("2026-11-20 08:00", tick=False) as clock:
        client = sign_in(Client(), staff)
        client.get("/")
        for _ in range(35):  # a visit every 20 minutes until 19:40
            clock.shift(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=21))
        response = client.get("/")

    assert response["Location"] == "/login/"


def test_the_session_holds_no_data_beyond_login_bookkeeping(client: Client, staff: User) -> None:
    sign_in(client, staff).get("/account/")

    assert set(client.session.keys()) <= ALLOWED_SESSION_KEYS


def test_cookies_are_same_site_strict_and_http_only(client: Client, staff: User) -> None:
    sign_in(client, staff).get("/")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]

    assert cookie["samesite"] == "Strict"
    assert cookie["httponly"]


def test_signing_out_ends_the_session(client: Client, staff: User) -> None:
    sign_in(client, staff)

    response = client.post("/logout/")

    assert response["Location"] == "/login/"
    assert client.get("/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=staff).count() == 1


def test_a_sixth_sign_in_ends_the_oldest_session(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        sessions = []
        for _ in range(6):
            sessions.append(sign_in_through_the_form(Client(), staff))
            clock.shift(60)

        answers = [session.get("/") for session in sessions]

    assert answers[0]["Location"] == "/login/"
    assert [answer.status_code for answer in answers[1:]] == [200] * 5
    assert UserSession.objects.filter(user=staff).count() == 5
    ended = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_EXPIRED)
    assert (ended.actor, ended.object_type) == (staff, "accounts.usersession")


@override_settings(SESSIONS_PER_USER=2)
def test_the_cap_is_a_setting(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        first = sign_in_through_the_form(Client(), staff)
        clock.shift(60)
        second = sign_in_through_the_form(Client(), staff)
        clock.shift(60)
        third = sign_in_through_the_form(Client(), staff)

        assert first.get("/")["Location"] == "/login/"
        assert second.get("/").status_code == 200 and third.get("/").status_code == 200


def test_sessions_that_timed_out_do_not_count_towards_the_cap(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        for _ in range(5):
            sign_in_through_the_form(Client(), staff)
            clock.shift(60)
        clock.shift(31 * 60)
        fresh = sign_in_through_the_form(Client(), staff)

        assert fresh.get("/").status_code == 200

    assert UserSession.objects.filter(user=staff).count() == 1
    # Each timed-out row removed is recorded as that session's expiry; none was ended by the cap.
    expired = AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED)
    assert expired.count() == 5
    assert {event.object_type for event in expired} == {"accounts.usersession"}


def test_a_session_that_expires_leaves_no_row(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        client = sign_in_through_the_form(Client(), staff)
        clock.shift(31 * 60)

        response = client.get("/")

    assert response["Location"] == "/login/"
    assert not UserSession.objects.exists()


def test_a_session_still_in_time_keeps_its_row_when_another_sign_in_tidies_up(
    staff: User,
) -> None:
    with time_machine.travel(local(2026, 11, 20, 10, 0), tick=False) as clock:
        phone = Client()
        phone.post("/login/", {"username": "lin", "password": PASSWORD})
        assert phone.get("/login/verify/").status_code == 200
        clock.shift(1)
        assert phone.post("/login/verify/", {"code": current_code(staff)})["Location"] == "/"
        clock.shift(59)  # in use at 10:01, a minute after the password, 59 s after the row
        assert phone.get("/").status_code == 200
        clock.move_to(local(2026, 11, 20, 10, 30, 30))  # idle 29 minutes 30 seconds
        sign_in_through_the_form(Client(), staff)
        clock.shift(10)

        response = phone.get("/")

    assert response.status_code == 200
    assert UserSession.objects.filter(user=staff).count() == 2
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED).exists()


def test_rows_of_timed_out_sessions_are_removed_with_a_record(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        sign_in_through_the_form(Client(), staff)
        old = UserSession.objects.get(user=staff)
        clock.shift(45 * 60)
        sign_in_through_the_form(Client(), staff)

    assert UserSession.objects.filter(user=staff).count() == 1
    assert not UserSession.objects.filter(pk=old.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_EXPIRED)
    assert event.actor == staff
    assert event.object_id == str(old.pk)


def test_a_sign_in_removes_everyones_rows_past_the_absolute_timeout(
    staff: User, other_staff: User
) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        sign_in_through_the_form(Client(), other_staff)  # and never comes back
        gone = UserSession.objects.get(user=other_staff)
        clock.shift(settings.SESSION_ABSOLUTE_TIMEOUT + timedelta(minutes=5))
        sign_in_through_the_form(Client(), staff)

    assert not UserSession.objects.filter(user=other_staff).exists()
    assert UserSession.objects.filter(user=staff).count() == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_EXPIRED)
    assert event.actor == other_staff
    assert event.object_id == str(gone.pk)


def test_a_sign_in_keeps_other_peoples_rows_within_the_absolute_timeout(
    staff: User, other_staff: User
) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        sign_in_through_the_form(Client(), other_staff)
        clock.shift(settings.SESSION_ABSOLUTE_TIMEOUT - timedelta(minutes=1))
        sign_in_through_the_form(Client(), staff)

    # Idle long ago, but another person's idle rows wait for their own next sign-in.
    assert UserSession.objects.filter(user=other_staff).count() == 1
    assert UserSession.objects.filter(user=staff).count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED).exists()
