from django.test import Client

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in


def url(user: User) -> str:
    return f"/users/{user.pk}/role/"


def role_of(user: User) -> Role | None:
    return User.objects.get(pk=user.pk).role


def test_it_shows_the_current_role(client: Client, administrator: User, staff: User) -> None:
    response = sign_in(client, administrator).get(url(staff))

    assert response.status_code == 200
    assert response.context["form"]["role"].value() == Role.STAFF


def test_an_administrator_promotes_someone_and_it_is_recorded(
    client: Client, administrator: User, staff: User
) -> None:
    response = sign_in(client, administrator).post(url(staff), {"role": "Coordinator"})

    assert response["Location"] == "/users/"
    assert role_of(staff) == Role.COORDINATOR
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (administrator, str(staff.pk), ["role"])


def test_a_role_can_be_taken_away(client: Client, administrator: User, staff: User) -> None:
    sign_in(client, administrator).post(url(staff), {"role": ""})

    assert role_of(staff) is None
    assert sign_in(Client(), User.objects.get(pk=staff.pk)).get("/account/").status_code == 200


def test_the_new_role_applies_to_an_open_session_at_once(
    client: Client, administrator: User, staff: User
) -> None:
    their_session = sign_in(Client(), staff)
    assert their_session.get("/users/").status_code == 403

    sign_in(client, administrator).post(url(staff), {"role": "Administrator"})

    assert their_session.get("/users/").status_code == 200


def test_saving_the_same_role_records_nothing(
    client: Client, administrator: User, staff: User
) -> None:
    response = sign_in(client, administrator).post(url(staff), {"role": "Staff"})

    assert response.status_code == 302
    assert response["Location"] == "/users/"
    assert role_of(staff) == Role.STAFF
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_an_administrator_cannot_remove_their_own_administrator_role(
    client: Client, administrator: User
) -> None:
    response = sign_in(client, administrator).post(url(administrator), {"role": "Coordinator"})

    assert response.status_code == 200
    assert b"You cannot remove your own administrator role" in response.content
    assert role_of(administrator) == Role.ADMINISTRATOR
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_an_unknown_role_keeps_the_form_with_an_error(
    client: Client, administrator: User, staff: User
) -> None:
    response = sign_in(client, administrator).post(url(staff), {"role": "Overlord"})

    assert response.status_code == 200
    assert response.context["form"].errors["role"]
    assert role_of(staff) == Role.STAFF


def test_an_unknown_user_is_not_found(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).get(
        "/users/00000000-0000-4000-8000-000000000000/role/"
    )

    assert response.status_code == 404


def test_staff_and_coordinators_may_not_change_roles(
    client: Client, staff: User, coordinator: User
) -> None:
    assert sign_in(client, staff).post(url(staff), {"role": "Administrator"}).status_code == 403
    assert (
        sign_in(Client(), coordinator).post(url(coordinator), {"role": "Administrator"}).status_code
        == 403
    )
    assert (role_of(staff), role_of(coordinator)) == (Role.STAFF, Role.COORDINATOR)


def test_other_methods_are_refused(client: Client, administrator: User, staff: User) -> None:
    assert sign_in(client, administrator).delete(url(staff)).status_code == 405


def test_the_records_admin_refuses_to_demote_yourself_and_never_deactivates(
    client: Client, administrator: User
) -> None:
    sign_in(client, administrator)
    data = {"username": "amina", "display_name": "Amina", "role": "Staff"}

    demoted = client.post(f"/admin/accounts/user/{administrator.pk}/change/", data)
    left_unticked = client.post(
        f"/admin/accounts/user/{administrator.pk}/change/", {**data, "role": "Administrator"}
    )

    assert demoted.status_code == 200
    assert b"You cannot remove your own administrator role" in demoted.content
    assert left_unticked.status_code == 302  # "active" is not on the form: nothing to refuse
    reloaded = User.objects.get(pk=administrator.pk)
    assert (reloaded.role, reloaded.is_active) == (Role.ADMINISTRATOR, True)


def test_the_records_admin_sends_new_accounts_to_the_users_page(
    client: Client, administrator: User
) -> None:
    assert sign_in(client, administrator).get("/admin/accounts/user/add/").status_code == 403
