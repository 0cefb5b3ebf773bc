import re
from urllib.parse import urlsplit

from django.test import Client

from safespaces.accounts.models import SetupToken, User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in

VALID = {"username": "wren", "display_name": "Wren Secretname", "role": Role.COORDINATOR}


def link_in(response: object) -> str:
    found = re.search(r"<code>(https?://[^<]+/setup/[^<]*)</code>", response.content.decode())  # type: ignore[attr-defined]
    assert found, "no set-up link on the page"
    return found.group(1)


def test_it_creates_the_account_and_shows_a_set_up_link_once(
    client: Client, administrator: User
) -> None:
    response = sign_in(client, administrator).post("/users/new/", VALID)

    assert response.status_code == 200
    wren = User.objects.get(username="wren")
    assert (wren.display_name, wren.role, wren.is_active) == (
        "Wren Secretname",
        "Coordinator",
        True,
    )
    assert link_in(response).startswith("http://testserver/setup/")
    assert b"The account wren exists" in response.content
    assert b"only time you will see this link" in response.content
    assert SetupToken.objects.filter(user=wren).count() == 1


def test_the_link_keeps_its_code_out_of_the_path_and_query(
    client: Client, administrator: User
) -> None:
    # Browsers never send what follows "#": web server, proxy and link-preview logs miss it.
    response = sign_in(client, administrator).post("/users/new/", VALID)

    link = urlsplit(link_in(response))
    assert response.status_code == 200
    assert (link.path, link.query) == ("/setup/", "")
    assert len(link.fragment) >= 43
    assert Client().post("/setup/", {"token": link.fragment}).status_code == 200


def test_the_new_account_has_no_usable_password(client: Client, administrator: User) -> None:
    sign_in(client, administrator).post("/users/new/", VALID)

    wren = User.objects.get(username="wren")
    assert not wren.has_usable_password()
    signing_in = Client().post("/login/", {"username": "wren", "password": ""})
    assert signing_in.status_code == 200


def test_it_records_the_account_and_the_link_with_field_names_only(
    client: Client, administrator: User
) -> None:
    sign_in(client, administrator).post("/users/new/", VALID)

    wren = User.objects.get(username="wren")
    created = AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, actor=administrator)
    account = created.get(object_type="accounts.user")
    assert (account.object_id, account.fields) == (
        str(wren.pk),
        ["display_name", "role", "username"],
    )
    link = created.get(object_type="accounts.setuptoken")
    assert link.object_id == str(SetupToken.objects.get(user=wren).pk)
    assert "Secretname" not in str(list(AuditEvent.objects.values()))
    # A brand-new account has nothing to reset.
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_RESET).exists()


def test_the_page_offers_a_role_and_no_password_field(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).get("/users/new/")

    assert response.status_code == 200
    assert b'name="role"' in response.content
    assert b'type="password"' not in response.content


def test_a_taken_username_keeps_what_was_typed(
    client: Client, administrator: User, staff: User
) -> None:
    data = {**VALID, "username": "LIN"}

    response = sign_in(client, administrator).post("/users/new/", data)

    assert response.status_code == 200
    assert b"Someone already has this username" in response.content
    assert b'value="LIN"' in response.content
    assert b'value="Wren Secretname"' in response.content
    assert not SetupToken.objects.exists()


def test_a_username_with_spaces_is_refused(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).post("/users/new/", {**VALID, "username": "a b"})

    assert response.status_code == 200
    assert not User.objects.filter(username="a b").exists()


def test_staff_and_coordinators_may_not_create_accounts(
    client: Client, staff: User, coordinator: User
) -> None:
    assert sign_in(client, staff).post("/users/new/", VALID).status_code == 403
    assert sign_in(Client(), coordinator).post("/users/new/", VALID).status_code == 403
    assert not User.objects.filter(username="wren").exists()


def test_other_methods_are_refused(client: Client, administrator: User) -> None:
    assert sign_in(client, administrator).put("/users/new/").status_code == 405
