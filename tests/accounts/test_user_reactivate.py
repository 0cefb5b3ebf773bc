from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD


def url(user: User) -> str:
    return f"/users/{user.pk}/reactivate/"


def test_it_asks_for_confirmation_first(
    client: Client, administrator: User, inactive: User
) -> None:
    response = sign_in(client, administrator).get(url(inactive))

    assert response.status_code == 200
    assert User.objects.get(pk=inactive.pk).is_active is False


def test_a_reactivated_user_signs_in_again_and_it_is_recorded(
    client: Client, administrator: User, inactive: User
) -> None:
    response = sign_in(client, administrator).post(url(inactive))

    assert response["Location"] == "/users/"
    signing_in = Client().post("/login/", {"username": "kai", "password": PASSWORD})
    assert signing_in["Location"] == "/login/verify/"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        administrator,
        str(inactive.pk),
        ["is_active"],
    )


def test_an_active_account_is_not_found_here(
    client: Client, administrator: User, staff: User
) -> None:
    assert sign_in(client, administrator).post(url(staff)).status_code == 404


def test_staff_and_coordinators_may_not_reactivate(
    client: Client, staff: User, coordinator: User, inactive: User
) -> None:
    assert sign_in(client, staff).post(url(inactive)).status_code == 403
    assert sign_in(Client(), coordinator).post(url(inactive)).status_code == 403
    assert User.objects.get(pk=inactive.pk).is_active is False


def test_other_methods_are_refused(client: Client, administrator: User, inactive: User) -> None:
    assert sign_in(client, administrator).delete(url(inactive)).status_code == 405
