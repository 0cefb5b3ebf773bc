from django.test import Client

from safespaces.accounts.models import User
from safespaces.accounts.services import setup_link_issue, user_create
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD


def url(user: User) -> str:
    return f"/users/{user.pk}/deactivate/"


def test_it_asks_for_confirmation_first(client: Client, administrator: User, staff: User) -> None:
    response = sign_in(client, administrator).get(url(staff))

    assert response.status_code == 200
    assert b"signed out everywhere" in response.content
    assert User.objects.get(pk=staff.pk).is_active


def test_deactivating_ends_their_open_session_at_once(
    client: Client, administrator: User, staff: User
) -> None:
    their_session = sign_in(Client(), staff)
    assert their_session.get("/").status_code == 200

    response = sign_in(client, administrator).post(url(staff))

    assert response["Location"] == "/users/"
    assert User.objects.get(pk=staff.pk).is_active is False
    assert their_session.get("/")["Location"] == "/login/"


def test_a_deactivated_user_cannot_sign_in(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator).post(url(staff))

    response = Client().post("/login/", {"username": "lin", "password": PASSWORD})

    assert response.status_code == 200
    assert b"That username and password do not match" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


def test_it_is_recorded_with_the_field_name(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator).post(url(staff))

    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        administrator,
        str(staff.pk),
        ["is_active"],
    )


def test_their_open_set_up_link_stops_working(client: Client, administrator: User) -> None:
    newcomer = user_create(username="wren", display_name="", role=None, by=administrator)
    _, token = setup_link_issue(user=newcomer, by=administrator)

    sign_in(client, administrator).post(url(newcomer))

    assert Client().post("/setup/", {"token": token}).status_code == 404


def test_an_administrator_cannot_deactivate_themselves(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).post(url(administrator), follow=True)

    assert b"You cannot deactivate your own account" in response.content
    assert User.objects.get(pk=administrator.pk).is_active
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()
    assert client.get("/users/").status_code == 200


def test_an_inactive_account_is_not_deactivated_again(
    client: Client, administrator: User, inactive: User
) -> None:
    assert sign_in(client, administrator).post(url(inactive)).status_code == 404


def test_staff_and_coordinators_may_not_deactivate(
    client: Client, staff: User, coordinator: User, other_staff: User
) -> None:
    assert sign_in(client, staff).post(url(other_staff)).status_code == 403
    assert sign_in(Client(), coordinator).post(url(other_staff)).status_code == 403
    assert User.objects.get(pk=other_staff.pk).is_active


def test_other_methods_are_refused(client: Client, administrator: User, staff: User) -> None:
    assert sign_in(client, administrator).put(url(staff)).status_code == 405
