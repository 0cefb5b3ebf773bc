from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safespaces.accounts.models import User
from safespaces.accounts.services import backup_codes_regenerate, setup_link_issue, user_create
from tests.conftest import sign_in
from tests.factories import UserFactory


def test_it_lists_each_account_with_its_role_and_state(
    client: Client, administrator: User, staff: User, inactive: User, unverified: User
) -> None:
    response = sign_in(client, administrator).get("/users/")

    assert response.status_code == 200
    rows = {account.username: account for account in response.context["users"]}
    assert rows["lin"].role == "Staff" and rows["lin"].has_authenticator
    assert rows["kai"].is_active is False
    assert not (rows["noor"].has_authenticator or rows["noor"].has_backup_codes)
    assert b"Lin" in response.content  # the display name, decrypted for the page


def test_backup_codes_alone_count_as_a_second_factor(
    client: Client, administrator: User, unverified: User
) -> None:
    backup_codes_regenerate(user=unverified)

    response = sign_in(client, administrator).get("/users/")

    noor = next(u for u in response.context["users"] if u.username == "noor")
    assert noor.has_backup_codes


def test_it_marks_an_account_waiting_for_set_up(client: Client, administrator: User) -> None:
    newcomer = user_create(username="wren", display_name="", role=None, by=administrator)
    setup_link_issue(user=newcomer, by=administrator)

    response = sign_in(client, administrator).get("/users/")

    assert b"set-up link open" in response.content


def test_it_links_to_every_action_but_not_against_yourself(
    client: Client, administrator: User, staff: User, inactive: User
) -> None:
    response = sign_in(client, administrator).get("/users/")

    assert response.status_code == 200
    content = response.content.decode()
    assert f"/users/{staff.pk}/role/" in content
    assert f"/users/{staff.pk}/deactivate/" in content
    assert f"/users/{staff.pk}/setup-link/" in content
    assert f"/users/{staff.pk}/reset-second-factor/" in content
    assert f"/users/{inactive.pk}/reactivate/" in content
    assert f"/users/{administrator.pk}/role/" in content
    assert f"/users/{administrator.pk}/deactivate/" not in content
    assert f"/users/{administrator.pk}/setup-link/" not in content
    assert "/users/new/" in content


def test_the_number_of_queries_does_not_grow_with_the_users(
    client: Client, administrator: User, django_assert_num_queries: object
) -> None:
    sign_in(client, administrator)
    UserFactory.create_batch(3)
    client.get("/users/")  # warm up: session bookkeeping

    with CaptureQueriesContext(connection) as three:
        assert client.get("/users/").status_code == 200
    UserFactory.create_batch(17)  # 20 now

    with django_assert_num_queries(len(three)):  # type: ignore[operator]
        response = client.get("/users/")

    assert len(response.context["users"]) == 21


def test_it_only_shows_the_list(client: Client, administrator: User) -> None:
    assert sign_in(client, administrator).post("/users/").status_code == 405


def test_there_is_no_reset_for_someone_without_a_second_factor(
    client: Client, administrator: User, unverified: User
) -> None:
    response = sign_in(client, administrator).get("/users/")

    assert response.status_code == 200
    content = response.content.decode()
    assert f"/users/{unverified.pk}/reset-second-factor/" not in content
    assert f"/users/{unverified.pk}/setup-link/" in content
