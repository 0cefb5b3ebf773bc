from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import PASSWORD


def change(client: Client, new: str) -> object:
    return client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )


def test_a_short_password_is_refused_with_the_reason(client: Client, staff: User) -> None:
    response = change(sign_in(client, staff), "short pass")

    assert response.status_code == 200
    assert b"at least 12 characters" in response.content


def test_a_common_password_is_refused(client: Client, staff: User) -> None:
    response = change(sign_in(client, staff), "password1234")

    assert b"too common" in response.content


def test_changing_the_password_keeps_this_session_and_ends_the_others(staff: User) -> None:
    elsewhere = sign_in(Client(), staff)
    here = sign_in(Client(), staff)

    response = change(here, "blue kettle under the stairs")

    assert response["Location"] == "/account/"
    assert here.get("/account/").status_code == 200
    assert elsewhere.get("/account/")["Location"] == "/login/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_CHANGED).count() == 1
    staff.refresh_from_db()
    assert staff.check_password("blue kettle under the stairs")
