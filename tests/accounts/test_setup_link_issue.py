import re

from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import BackupCodeDevice, SetupToken, User
from safespaces.accounts.services import backup_codes_regenerate
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD


def url(user: User) -> str:
    return f"/users/{user.pk}/setup-link/"


def token_in(response: object) -> str:
    found = re.search(r"/setup/#([A-Za-z0-9_-]+)</code>", response.content.decode())  # type: ignore[attr-defined]
    assert found, "no set-up link on the page"
    return found.group(1)


def test_it_asks_for_confirmation_first(client: Client, administrator: User, staff: User) -> None:
    response = sign_in(client, administrator).get(url(staff))

    assert response.status_code == 200
    assert b"confirmed it is really them" in response.content
    assert not SetupToken.objects.exists()
    assert User.objects.get(pk=staff.pk).has_usable_password()


def test_a_new_link_replaces_the_password_and_every_second_factor(
    client: Client, administrator: User, staff: User
) -> None:
    backup_codes_regenerate(user=staff)

    response = sign_in(client, administrator).post(url(staff))

    assert response.status_code == 200
    assert b"only time you will see this link" in response.content
    assert not User.objects.get(pk=staff.pk).has_usable_password()
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not BackupCodeDevice.objects.filter(user=staff).exists()
    assert SetupToken.objects.filter(user=staff).count() == 1


def test_the_old_password_no_longer_opens_enrolment(
    client: Client, administrator: User, staff: User
) -> None:
    # Whoever took the phone may know the password: they must not enrol a phone of their own.
    sign_in(client, administrator).post(url(staff))

    response = Client().post("/login/", {"username": "lin", "password": PASSWORD})

    assert response.status_code == 200
    assert b"That username and password do not match" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session


def test_it_ends_their_open_sessions(client: Client, administrator: User, staff: User) -> None:
    their_session = sign_in(Client(), staff)

    sign_in(client, administrator).post(url(staff))

    assert their_session.get("/")["Location"] == "/login/"


def test_the_older_link_stops_working(client: Client, administrator: User, staff: User) -> None:
    sign_in(client, administrator)
    older = token_in(client.post(url(staff)))

    newer = token_in(client.post(url(staff)))

    assert Client().post("/setup/", {"token": older}).status_code == 404
    assert Client().post("/setup/", {"token": newer}).status_code == 200
    assert SetupToken.objects.filter(user=staff, revoked_at__isnull=False).count() == 1


def test_it_records_the_reset_the_password_and_the_link(
    client: Client, administrator: User, staff: User
) -> None:
    sign_in(client, administrator).post(url(staff))

    events = AuditEvent.objects.filter(actor=administrator).exclude(
        action=AuditEvent.Action.PERMISSION_DENIED
    )
    assert {(e.action, e.object_type, tuple(e.fields)) for e in events} == {
        (AuditEvent.Action.CHANGE, "accounts.user", ("password",)),
        (AuditEvent.Action.SECOND_FACTOR_RESET, "accounts.user", ()),
        (AuditEvent.Action.CREATE, "accounts.setuptoken", ()),
    }


def test_an_administrator_cannot_make_one_for_themselves(
    client: Client, administrator: User
) -> None:
    response = sign_in(client, administrator).post(url(administrator), follow=True)

    assert b"on your account page instead" in response.content
    assert User.objects.get(pk=administrator.pk).has_usable_password()
    assert TOTPDevice.objects.filter(user=administrator).exists()
    assert not SetupToken.objects.exists()


def test_an_inactive_account_gets_no_link(
    client: Client, administrator: User, inactive: User
) -> None:
    assert sign_in(client, administrator).post(url(inactive)).status_code == 404
    assert not SetupToken.objects.exists()


def test_staff_and_coordinators_may_not_make_links(
    client: Client, staff: User, coordinator: User, other_staff: User
) -> None:
    assert sign_in(client, staff).post(url(other_staff)).status_code == 403
    assert sign_in(Client(), coordinator).post(url(other_staff)).status_code == 403
    assert not SetupToken.objects.exists()


def test_other_methods_are_refused(client: Client, administrator: User, staff: User) -> None:
    assert sign_in(client, administrator).put(url(staff)).status_code == 405
