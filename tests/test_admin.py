import pytest
from django.contrib import admin
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts import admin as accounts_admin
from safespaces.accounts.models import User, UserSession
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in, sign_in_through_the_form


def test_administrators_reach_the_admin(client: Client, administrator: User) -> None:
    assert sign_in(client, administrator).get("/admin/").status_code == 200


def test_a_password_alone_does_not_open_the_admin(client: Client, administrator: User) -> None:
    client.force_login(administrator)

    assert client.get("/admin/")["Location"] == "/login/verify/"


def test_authenticator_secrets_are_not_in_the_admin() -> None:
    assert TOTPDevice not in admin.site._registry


def test_changing_a_user_in_the_admin_is_audited_with_field_names_only(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator)

    response = client.post(
        f"/admin/accounts/user/{staff.pk}/change/",
        {
            "username": "lin",
            "display_name": "Lin Secretname",
            "is_active": "on",
            "role": Role.COORDINATOR,
        },
    )

    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).role == Role.COORDINATOR
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.actor == administrator and event.object_id == str(staff.pk)
    assert "display_name" in event.fields
    assert "Secretname" not in str(event.fields)


def test_the_admin_resets_a_second_factor_as_an_action(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "reset_second_factor", "_selected_action": [str(staff.pk)]},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/accounts/user/"
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_RESET).count() == 1


def test_a_change_to_a_roles_permissions_is_audited(client: Client, administrator: User) -> None:
    from django.contrib.auth.models import Group

    staff_role = Group.objects.get(name="Staff")
    sign_in(client, administrator)

    client.post(f"/admin/auth/group/{staff_role.pk}/change/", {"name": "Staff", "permissions": []})

    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert event.object_type == "auth.group"


def test_the_admin_sends_password_changes_to_the_audited_page(
    client: Client, administrator: User
) -> None:
    response = sign_in(client, administrator).get("/admin/password_change/")

    assert response["Location"] == "/account/password/"


def test_the_sign_in_throttle_has_no_admin_pages_of_its_own(
    client: Client, administrator: User
) -> None:
    assert sign_in(client, administrator).get("/admin/axes/").status_code == 404


def change_in_the_admin(client: Client, user: User, **changes: str) -> object:
    form = {"username": user.username, "display_name": user.display_name, "role": Role.STAFF}
    return client.post(f"/admin/accounts/user/{user.pk}/change/", {**form, **changes})


def test_the_admin_cannot_deactivate_an_account_the_users_page_does(
    client: Client, administrator: User, staff: User
) -> None:
    # Deactivating has one door, which also ends sessions and set-up links.
    sign_in(client, administrator)

    response = change_in_the_admin(client, staff)  # the "active" tick left out

    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).is_active
    page = client.get(f"/admin/accounts/user/{staff.pk}/change/")
    assert b'name="is_active"' not in page.content
    assert b"Deactivate the account on the Users page" in page.content


def test_the_admin_cannot_reactivate_an_account_either(
    client: Client, administrator: User, inactive: User
) -> None:
    sign_in(client, administrator)

    response = change_in_the_admin(client, inactive, is_active="on")

    assert response.status_code == 302
    assert not User.objects.get(pk=inactive.pk).is_active
    assert User.objects.get(pk=inactive.pk).role == Role.STAFF


def test_after_deactivation_and_reactivation_an_old_session_stays_ended(
    client: Client, administrator: User, staff: User
) -> None:
    their_session = sign_in_through_the_form(Client(), staff)
    assert their_session.get("/").status_code == 200
    sign_in(client, administrator)

    deactivated = client.post(f"/users/{staff.pk}/deactivate/")
    reactivated = client.post(f"/users/{staff.pk}/reactivate/")

    assert deactivated["Location"] == "/users/"
    assert reactivated["Location"] == "/users/"
    assert User.objects.get(pk=staff.pk).is_active
    assert their_session.get("/")["Location"] == "/login/"
    assert not UserSession.objects.filter(user=staff).exists()


def test_the_refusal_to_remove_ones_own_administrator_role_is_translated(
    client: Client, administrator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts_admin, "gettext", lambda message: f"(translated) {message}")
    sign_in(client, administrator)

    response = change_in_the_admin(client, administrator)  # role: staff

    assert response.status_code == 200
    assert b"(translated) You cannot remove your own administrator role." in response.content
    assert User.objects.get(pk=administrator.pk).role == Role.ADMINISTRATOR


def test_signing_out_through_the_admin_is_recorded(client: Client, administrator: User) -> None:
    sign_in(client, administrator)

    response = client.post("/admin/logout/")

    assert response["Location"] == "/login/"
    assert client.get("/")["Location"] == "/login/"
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT)
    assert event.actor == administrator


def test_the_admin_signs_out_by_post_only(client: Client, administrator: User) -> None:
    sign_in(client, administrator)

    assert client.get("/admin/logout/").status_code == 405
    assert client.get("/admin/").status_code == 200


@override_settings(NEUTRAL_MODE=True)
def test_in_neutral_mode_the_admin_names_nothing(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).get("/admin/")

    assert response.status_code == 200
    assert b"<title>Records | Notes</title>" in response.content
    assert b"SafeSpaces" not in response.content
