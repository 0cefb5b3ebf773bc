from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from safespaces.accounts.models import User, UserSession
from safespaces.audit.models import AuditEvent
from tests.conftest import local, sign_in, sign_in_through_the_form

URL = "/account/sessions/end-others/"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    """A frozen clock: each sign-in needs a fresh authenticator code, so it moves on between."""
    with time_machine.travel(local(2026, 11, 20, 9, 0), tick=False) as traveller:
        yield traveller


def three_sessions(staff: User, clock: time_machine.Traveller) -> list[Client]:
    clients = []
    for _ in range(3):
        clients.append(sign_in_through_the_form(Client(), staff))
        clock.shift(60)
    return clients


def test_other_sessions_end_and_this_one_stays(staff: User, clock: time_machine.Traveller) -> None:
    phone, tablet, laptop = three_sessions(staff, clock)

    response = laptop.post(URL)

    assert response["Location"] == "/account/"
    assert phone.get("/")["Location"] == "/login/"
    assert tablet.get("/")["Location"] == "/login/"
    page = laptop.get("/account/")
    assert page.status_code == 200
    assert b"You are signed out everywhere else." in page.content
    assert UserSession.objects.filter(user=staff).count() == 1


def test_it_is_recorded_as_a_sign_out_of_the_account(
    staff: User, clock: time_machine.Traveller
) -> None:
    *_, laptop = three_sessions(staff, clock)

    laptop.post(URL)

    event = AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT).get()
    assert (event.actor, event.object_id, event.fields) == (staff, str(staff.pk), ["session_stamp"])


def test_it_also_ends_sessions_opened_before_sessions_were_listed(staff: User) -> None:
    unlisted = sign_in(Client(), staff)
    unlisted.get("/")
    laptop = sign_in_through_the_form(Client(), staff)

    laptop.post(URL)

    assert unlisted.get("/")["Location"] == "/login/"
    assert laptop.get("/").status_code == 200


def test_other_users_keep_their_sessions(staff: User, other_staff: User) -> None:
    theirs = sign_in_through_the_form(Client(), other_staff)
    mine = sign_in_through_the_form(Client(), staff)

    mine.post(URL)

    assert theirs.get("/").status_code == 200
    assert UserSession.objects.filter(user=other_staff).count() == 1


def test_other_methods_are_refused(staff: User, clock: time_machine.Traveller) -> None:
    phone, tablet, laptop = three_sessions(staff, clock)

    assert laptop.get(URL).status_code == 405
    assert phone.get("/").status_code == 200
