from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCodeDevice, User
from safespaces.accounts.services import backup_codes_regenerate
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in


def url(user: User) -> str:
    return f"/users/{user.pk}/reset-second-factor/"


def test_it_asks_for_confirmation_first(client: Client, administrator: User, staff: User) -> None:
    response = sign_in(client, administrator).get(url(staff))

    assert response.status_code == 200
    assert TOTPDevice.objects.filter(user=staff).exists()


def test_a_reset_removes_every_factor_and_ends_their_sessions(
    client: Client, administrator: User, staff: User
) -> None:
    backup_codes_regenerate(user=staff)
    their_session = sign_in(Client(), staff)

    response = sign_in(client, administrator).post(url(staff))

    assert response["Location"] == "/users/"
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not BackupCodeDevice.objects.filter(user=staff).exists()
    assert their_session.get("/")["Location"] == "/login/"
    event = AuditEvent.objects.get(action=AuditEvent.Action.SECOND_FACTOR_RESET)
    assert (event.actor, event.object_id) == (administrator, str(staff.pk))


def test_after_a_reset_the_user_enrols_again(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator).post(url(staff))

    response = Client().post("/login/", {"username": "lin", "password": "a long test password"})

    assert response["Location"] == "/login/enrol/"


def test_an_unknown_user_is_not_found(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).post(
        "/users/00000000-0000-4000-8000-000000000000/reset-second-factor/"
    )

    assert response.status_code == 404


def test_a_coordinator_may_not_reset(client: Client, coordinator: User, staff: User) -> None:
    response = sign_in(client, coordinator).post(url(staff))

    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=staff).exists()
