import time_machine
from django.test import Client

from safespaces.accounts.models import User, UserSession
from tests.conftest import local, sign_in_through_the_form
from tests.factories import PASSWORD

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def on(user_agent: str) -> Client:
    return Client(headers={"User-Agent": user_agent})


def test_it_lists_each_open_session_with_its_device_and_times(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        sign_in_through_the_form(on(FIREFOX_ANDROID), staff)
        clock.shift(5 * 60)
        laptop = sign_in_through_the_form(on(CHROME_WINDOWS), staff)
        clock.shift(2 * 60)

        response = laptop.get("/account/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Firefox · Android" in content and "Chrome · Windows" in content
    assert "20 Nov, 09:00" in content and "20 Nov, 09:07" in content
    assert content.count("This device") == 1
    assert "Sign out everywhere else" in content


def test_a_session_keeps_no_address_and_no_browser_string(staff: User) -> None:
    sign_in_through_the_form(on(FIREFOX_ANDROID), staff)

    row = UserSession.objects.values().get()

    assert row["device"] == "Firefox · Android"
    # "133.0", not "133": the row's random tag is hex and holds "133" now and then.
    assert "127.0.0.1" not in str(row) and "Mozilla" not in str(row) and "133.0" not in str(row)
    assert str(UserSession.objects.get()) == f"session of {staff.pk}"


def test_last_used_is_written_at_most_once_a_minute(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        phone = sign_in_through_the_form(on(FIREFOX_ANDROID), staff)
        clock.shift(50)
        assert phone.get("/").status_code == 200
        unchanged = UserSession.objects.get().last_seen_at
        clock.shift(20)
        assert phone.get("/").status_code == 200
        moved = UserSession.objects.get().last_seen_at

    assert unchanged == local(2026, 11, 20, 9, 0)
    assert moved == local(2026, 11, 20, 9, 1, 10)


def test_signing_out_takes_the_session_off_the_list(staff: User) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        phone = sign_in_through_the_form(on(FIREFOX_ANDROID), staff)
        clock.shift(60)
        laptop = sign_in_through_the_form(on(CHROME_WINDOWS), staff)

        phone.post("/logout/")
        response = laptop.get("/account/")

    assert response.status_code == 200
    assert b"Chrome \xc2\xb7 Windows" in response.content
    assert b"Firefox" not in response.content
    assert UserSession.objects.count() == 1


def test_sessions_ended_by_new_backup_codes_leave_the_list_and_this_one_stays(
    staff: User,
) -> None:
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as clock:
        phone = sign_in_through_the_form(on(FIREFOX_ANDROID), staff)
        clock.shift(60)
        laptop = sign_in_through_the_form(on(CHROME_WINDOWS), staff)

        laptop.post("/account/backup-codes/", {"password": PASSWORD})
        response = laptop.get("/account/")

    assert response.status_code == 200
    assert b"This device" in response.content
    assert b"Firefox" not in response.content
    assert phone.get("/")["Location"] == "/login/"
