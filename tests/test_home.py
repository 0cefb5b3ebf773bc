from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from tests.conftest import sign_in


def test_it_greets_the_user_by_name_and_role(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).get("/")

    assert b"Hello, Rosa" in response.content
    assert b"signed in as Coordinator" in response.content


def test_it_lists_only_the_users_own_recent_activity(
    client: Client, staff: User, other_staff: User
) -> None:
    audit_record(action=AuditEvent.Action.PASSWORD_CHANGED, actor=staff, target=staff)
    audit_record(action=AuditEvent.Action.EXPORT, actor=other_staff)

    response = sign_in(client, staff).get("/")

    assert response.status_code == 200
    assert b"Password changed" in response.content
    assert b"Exported" not in response.content


def test_a_user_without_a_role_is_told_so(client: Client, db: None) -> None:
    from tests.factories import UserFactory

    response = sign_in(client, UserFactory()).get("/")

    assert b"no role yet" in response.content


def test_administrators_see_their_tools_in_the_menu(client: Client, administrator: User) -> None:
    response = sign_in(client, administrator).get("/")

    assert b'href="/audit/"' in response.content
    assert b'href="/users/"' in response.content


def test_staff_do_not_see_administrators_tools(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/")

    assert response.status_code == 200
    assert b"Hello, Lin" in response.content
    assert b'href="/audit/"' not in response.content


def test_it_refuses_a_post(client: Client, staff: User) -> None:
    assert sign_in(client, staff).post("/").status_code == 405
