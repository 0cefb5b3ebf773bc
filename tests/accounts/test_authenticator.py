from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCode, User
from safespaces.accounts.services import backup_codes_regenerate
from tests.conftest import sign_in
from tests.factories import PASSWORD


def new_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    return f"{totp(device.bin_key):06d}"


def test_it_asks_for_the_password_and_a_code_from_the_new_app(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/account/authenticator/")

    assert response.status_code == 200
    assert b'name="password"' in response.content
    assert b'name="code"' in response.content


def test_a_wrong_password_keeps_the_old_authenticator(client: Client, staff: User) -> None:
    old = TOTPDevice.objects.get(user=staff, confirmed=True)
    sign_in(client, staff).get("/account/authenticator/")

    response = client.post(
        "/account/authenticator/", {"password": "wrong", "code": new_code(staff)}
    )

    assert b"not your current password" in response.content
    assert TOTPDevice.objects.get(user=staff, confirmed=True).pk == old.pk


def test_moving_to_a_new_phone_replaces_the_device_and_ends_other_sessions(staff: User) -> None:
    backup_codes_regenerate(user=staff)
    old = TOTPDevice.objects.get(user=staff, confirmed=True)
    elsewhere = sign_in(Client(), staff)
    here = sign_in(Client(), staff)
    here.get("/account/authenticator/")

    response = here.post("/account/authenticator/", {"password": PASSWORD, "code": new_code(staff)})

    assert response["Location"] == "/account/"
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed and device.pk != old.pk
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/")["Location"] == "/login/"


def test_existing_backup_codes_survive_a_new_phone(client: Client, staff: User) -> None:
    backup_codes_regenerate(user=staff)
    sign_in(client, staff).get("/account/authenticator/")

    client.post("/account/authenticator/", {"password": PASSWORD, "code": new_code(staff)})

    assert BackupCode.objects.filter(device__user=staff).count() == 10


def test_a_user_without_backup_codes_gets_them_with_the_new_phone(
    client: Client, staff: User
) -> None:
    sign_in(client, staff).get("/account/authenticator/")

    response = client.post(
        "/account/authenticator/", {"password": PASSWORD, "code": new_code(staff)}
    )

    assert b"Your backup codes" in response.content
    assert BackupCode.objects.filter(device__user=staff).count() == 10
