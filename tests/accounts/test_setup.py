from datetime import timedelta

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from safespaces.accounts.models import SetupToken, User
from safespaces.accounts.services import setup_link_issue, user_create
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.test_leaks import raw_cells

NEW_PASSWORD = "violet harbour lantern seven"
PASSWORDS = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
DEAD = b"This link no longer works; ask your administrator for a new one."


@pytest.fixture
def newcomer(administrator: User) -> User:
    """Wren, a new volunteer whose account an administrator just created."""
    return user_create(username="wren", display_name="Wren", role=None, by=administrator)


@pytest.fixture
def token(newcomer: User, administrator: User) -> str:
    _, token = setup_link_issue(user=newcomer, by=administrator)
    return token


URL = "/setup/"


def submit(client: Client, token: str, passwords: dict[str, str] = PASSWORDS) -> HttpResponse:
    """Send the form as the page's script fills it: the link's code in the POST body."""
    return client.post(URL, {"token": token, **passwords})


def test_the_page_comes_without_the_code_and_uses_nothing(client: Client, token: str) -> None:
    # A link preview fetches this much: no code reaches the server, so there is nothing to use.
    response = client.get(URL)

    assert response.status_code == 200
    assert b'name="token"' in response.content and b"data-setup-code" in response.content
    assert b"js/setup-link.js" in response.content
    assert token.encode() not in response.content
    assert SetupToken.objects.get().used_at is None


def test_a_post_with_the_code_sets_the_password_and_leads_to_enrolment(
    client: Client, token: str, newcomer: User
) -> None:
    response = submit(client, token)

    assert response["Location"] == "/login/enrol/"
    assert User.objects.get(pk=newcomer.pk).check_password(NEW_PASSWORD)
    enrolment = client.get("/login/enrol/")
    assert enrolment.status_code == 200 and b"<svg" in enrolment.content


def test_a_pasted_link_works_as_well_as_its_code(
    client: Client, token: str, newcomer: User
) -> None:
    # Without JavaScript the person pastes the whole link into the code field.
    response = submit(client, f" https://safespaces.example.org/setup/#{token} ")

    assert response["Location"] == "/login/enrol/"
    assert User.objects.get(pk=newcomer.pk).check_password(NEW_PASSWORD)


def test_the_link_gives_the_password_step_only(client: Client, token: str) -> None:
    submit(client, token)

    assert client.get("/")["Location"] == "/login/enrol/"
    assert client.get("/account/")["Location"] == "/login/enrol/"


def test_the_link_works_once(client: Client, token: str) -> None:
    submit(client, token)

    again = submit(Client(), token)

    assert again.status_code == 404
    assert DEAD in again.content


def test_unknown_used_and_expired_links_get_one_neutral_answer(
    newcomer: User, administrator: User
) -> None:
    with time_machine.travel("2026-11-20 09:00", tick=False) as clock:
        _, used = setup_link_issue(user=newcomer, by=administrator)
        submit(Client(), used)
        other = user_create(username="ash", display_name="", role=None, by=administrator)
        _, expired = setup_link_issue(user=other, by=administrator)
        clock.shift(timedelta(hours=73))

        answers = [submit(Client(), code) for code in ("0" * len(used), used, expired)]

    assert {answer.status_code for answer in answers} == {404}
    assert DEAD in answers[0].content
    assert answers[0].content == answers[1].content == answers[2].content
    assert not User.objects.get(pk=other.pk).has_usable_password()


def test_afterwards_the_new_password_signs_in(client: Client, token: str) -> None:
    submit(client, token)

    response = Client().post("/login/", {"username": "wren", "password": NEW_PASSWORD})

    assert response["Location"] == "/login/enrol/"


def test_the_link_expires_after_72_hours(newcomer: User, administrator: User) -> None:
    with time_machine.travel("2026-11-20 09:00", tick=False) as clock:
        _, token = setup_link_issue(user=newcomer, by=administrator)
        clock.shift(timedelta(hours=71, minutes=59))
        assert submit(Client(), token, {}).status_code == 200
        clock.shift(timedelta(minutes=2))

        response = submit(Client(), token)

    assert response.status_code == 404
    assert DEAD in response.content
    assert not User.objects.get(pk=newcomer.pk).has_usable_password()


def test_an_older_link_stops_working_when_a_new_one_is_made(
    newcomer: User, administrator: User, token: str
) -> None:
    _, newer = setup_link_issue(user=newcomer, by=administrator)

    assert submit(Client(), token).status_code == 404
    assert submit(Client(), newer)["Location"] == "/login/enrol/"


def test_an_unknown_link_names_nobody(client: Client, token: str) -> None:
    response = submit(client, "0" * len(token))

    assert response.status_code == 404
    assert DEAD in response.content
    assert b"wren" not in response.content


def test_an_empty_code_is_explained_next_to_the_field(client: Client, token: str) -> None:
    response = submit(client, "")

    assert response.status_code == 200
    assert b"Paste the link you were given" in response.content
    assert SetupToken.objects.get().used_at is None


def test_the_token_is_stored_only_as_a_keyed_hash(token: str, client: Client) -> None:
    submit(client, token, {})
    submit(client, token)

    found = [
        f"{table}.{column}"
        for table, column, text in raw_cells()
        if token in text or token.lower() in text.lower()
    ]
    assert found == []
    assert len(SetupToken.objects.get().digest) == 64


def test_a_weak_password_is_explained_and_the_link_stays_unused(client: Client, token: str) -> None:
    response = submit(client, token, {"new_password1": "short", "new_password2": "short"})

    assert response.status_code == 200
    assert b"too short" in response.content
    # The code worked: it stays in the form, out of sight, and the page names the account.
    assert f'type="hidden" name="token" value="{token}"'.encode() in response.content
    assert b"Your username is <strong>wren</strong>" in response.content
    assert SetupToken.objects.get().used_at is None
    assert "_auth_user_id" not in client.session


def test_passwords_that_differ_are_explained(client: Client, token: str) -> None:
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "!"}

    response = submit(client, token, data)

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]


def test_using_the_link_is_recorded_without_values(
    client: Client, token: str, newcomer: User
) -> None:
    submit(client, token)

    used = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, actor=newcomer)
    assert (used.object_type, used.fields) == ("accounts.setuptoken", ["used_at"])
    changed = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_CHANGED)
    assert (changed.actor, changed.object_id) == (newcomer, str(newcomer.pk))


def test_a_link_from_before_the_code_moved_leads_to_the_page_with_the_code_after_the_hash(
    client: Client, token: str
) -> None:
    response = client.get(f"/setup/{token}/")

    assert response.status_code == 302
    assert response["Location"] == f"/setup/#{token}"
    assert SetupToken.objects.get().used_at is None
    assert client.post(f"/setup/{token}/", PASSWORDS).status_code == 405


def test_someone_signed_in_is_told_to_sign_out_and_the_link_stays_unused(
    client: Client, administrator: User, token: str
) -> None:
    sign_in(client, administrator)

    response = submit(client, token)

    assert response.status_code == 200
    assert b"sign out first" in response.content
    assert SetupToken.objects.get().used_at is None
    assert client.get("/users/").status_code == 200


def test_a_deactivated_account_cannot_use_its_link(newcomer: User, token: str) -> None:
    User.objects.filter(pk=newcomer.pk).update(is_active=False)

    assert submit(Client(), token).status_code == 404


def test_other_methods_are_refused(client: Client, token: str) -> None:
    assert client.put(URL, {"token": token}).status_code == 405
    assert SetupToken.objects.filter(used_at__isnull=True).count() == 1


def test_a_link_is_valid_from_its_making_for_72_hours(token: str) -> None:
    link = SetupToken.objects.get()

    assert link.expires_at - link.created_at == timedelta(hours=72)
    assert link.created_at <= timezone.now()


def test_the_page_for_someone_signed_in_takes_the_code_out_of_the_address_bar(
    client: Client, administrator: User, token: str
) -> None:
    # Opening the link, as the administrator who made it might: the code is after "#".
    sign_in(client, administrator)

    response = client.get(URL)

    assert response.status_code == 200
    assert b"sign out first" in response.content
    assert b"js/setup-link.js" in response.content
    assert SetupToken.objects.get().used_at is None


def test_the_dead_link_page_takes_the_code_out_of_the_address_bar(
    client: Client, token: str
) -> None:
    response = submit(client, token[::-1])

    assert response.status_code == 404
    assert DEAD in response.content
    assert b"js/setup-link.js" in response.content
