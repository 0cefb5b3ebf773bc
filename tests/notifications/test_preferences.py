import pytest
from django.test import Client, override_settings

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.notifications.kinds import ALWAYS_ON, Kind, kind_of, kinds
from safespaces.notifications.models import Address, Channel, Preference
from safespaces.notifications.services import channels_for
from tests.conftest import sign_in
from tests.factories import PASSWORD
from tests.notifications.conftest import SECRET

URL = "/notifications/settings/"
BOTH = {
    "EMAIL_URL": "smtp://mail.example.org",
    "WEBHOOK_URL": "https://relay.example.org/",
    "WEBHOOK_SECRET": SECRET,
}


def kind(key: str) -> Kind:
    found = kind_of(key)
    assert found is not None
    return found


def kept_on_by_email(*, but: str = "") -> dict[str, str]:
    """The email box of every kind that cannot be switched off (the apps' too), but one."""
    return {
        f"{each.key}__email": "on"
        for each in kinds()
        if each.urgency in ALWAYS_ON and each.key != but
    }


def all_on_form(email: str = "lin@example.org", relay: str = "", **changes: str) -> dict[str, str]:
    """The form as the page fills it by default, for a user with an email address."""
    return {"email": email, "relay": relay, **changes}


@override_settings(**BOTH)
def test_defaults_urgent_everywhere_security_by_email_normal_in_the_app(staff: User) -> None:
    Address.objects.create(user=staff, email="lin@example.org")

    assert channels_for(staff, kind("tests.check_in_overdue")) == {Channel.EMAIL, Channel.WEBHOOK}
    assert channels_for(staff, kind("account.sign_in")) == {Channel.EMAIL}
    assert channels_for(staff, kind("tests.routine")) == set()


def test_without_channels_only_the_app_and_the_page_says_so(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    assert "sends no email or relay messages" in response.content.decode()
    assert 'name="email"' not in response.content.decode()
    assert channels_for(staff, kind("tests.check_in_overdue")) == set()


@override_settings(**BOTH)
def test_a_security_kind_cannot_be_switched_off(client: Client, staff: User) -> None:
    Address.objects.create(user=staff, email="lin@example.org")
    data = all_on_form(**{"tests.check_in_overdue__email": "on"})  # sign-in: both boxes empty

    response = sign_in(client, staff).post(URL, data)

    assert response.status_code == 200
    assert "cannot be switched off" in response.content.decode()
    assert not Preference.objects.exists()
    assert channels_for(staff, kind("account.sign_in")) == {Channel.EMAIL}


@override_settings(**BOTH)
def test_an_urgent_kind_keeps_one_channel_and_a_normal_one_may_go_quiet(
    client: Client, staff: User
) -> None:
    Address.objects.create(user=staff, email="lin@example.org")
    data = all_on_form(
        **kept_on_by_email(but="tests.check_in_overdue"),
        **{"tests.check_in_overdue__webhook": "on", "tests.routine__webhook": "on"},
    )

    response = sign_in(client, staff).post(URL, data)

    assert response.status_code == 302
    assert channels_for(staff, kind("tests.check_in_overdue")) == {Channel.WEBHOOK}
    assert channels_for(staff, kind("tests.routine")) == {Channel.WEBHOOK}
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE, actor=staff)
    assert event.fields == ["notification_channels"]
    assert "lin@example.org" not in str(event.fields) + event.object_id


@override_settings(**BOTH)
def test_changing_an_address_needs_the_password(client: Client, staff: User) -> None:
    sign_in(client, staff)
    data = all_on_form(email="someone.else@example.org", **kept_on_by_email())

    refused = client.post(URL, data)
    wrong = client.post(URL, {**data, "password": "not-the-password"})
    saved = client.post(URL, {**data, "password": PASSWORD})

    assert refused.status_code == 200
    assert "Type your password" in refused.content.decode()
    assert wrong.status_code == 200
    assert "not your current password" in wrong.content.decode()
    assert saved.status_code == 302
    assert Address.objects.get(user=staff).email == "someone.else@example.org"
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE, actor=staff).get()
    assert "notification_email" in event.fields


@pytest.mark.parametrize("persona", ["staff", "administrator"])
def test_the_failure_notice_is_offered_to_administrators_only(
    persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)

    response = sign_in(Client(), user).get(URL)

    assert response.status_code == 200
    assert "New sign-in to your account" in response.content.decode()
    shown = "An urgent alert could not be delivered" in response.content.decode()
    assert shown is (persona == "administrator")


def test_my_account_links_to_the_settings(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/account/")

    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()


@override_settings(**BOTH)
def test_a_digest_goes_by_email_by_default_never_the_relay_and_may_be_switched_off(
    client: Client, staff: User
) -> None:
    Address.objects.create(user=staff, email="lin@example.org")
    assert channels_for(staff, kind("tests.summary")) == {Channel.EMAIL}
    sign_in(client, staff)

    page = client.get(URL).content.decode()
    # The form as sent with every digest's box cleared, the rest as they were.
    response = client.post(URL, all_on_form(**kept_on_by_email()))

    assert "A summary, at most once a day. By email too, unless you switch it off." in page
    assert response.status_code == 302
    assert channels_for(staff, kind("tests.summary")) == set()
    assert Preference.objects.get(user=staff, kind="tests.summary").enabled is False


@override_settings(**BOTH)
def test_a_digest_stays_in_the_app_for_someone_without_an_email_address(staff: User) -> None:
    Address.objects.create(user=staff, relay="+15550100")

    assert channels_for(staff, kind("tests.summary")) == set()
    assert channels_for(staff, kind("tests.check_in_overdue")) == {Channel.WEBHOOK}
