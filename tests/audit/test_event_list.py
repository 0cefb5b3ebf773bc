"""The administrators' audit log screen at /audit/."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record, audit_seal
from tests.conftest import sign_in

URL = reverse("audit:events")


def shown(response: object) -> list[int]:
    """The events on the page, as listed, each by its place in order of arrival (1 for the
    first): sealed or not, and whatever ids the database handed out."""
    arrival = {
        pk: n
        for n, pk in enumerate(AuditEvent.objects.order_by("id").values_list("pk", flat=True), 1)
    }
    return [arrival[event.pk] for event in response.context["page"]]  # type: ignore[attr-defined]


def record_many(count: int, actors: list[User]) -> None:
    for n in range(count):
        audit_record(action=AuditEvent.Action.LOGIN, actor=actors[n % len(actors)])


def test_it_shows_an_administrator_the_events_newest_first(
    client: Client, administrator: User, staff: User
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    audit_record(action=AuditEvent.Action.VIEW, actor=staff, target=administrator)
    audit_record(action=AuditEvent.Action.LOGIN_FAILED)
    sign_in(client, administrator)

    response = client.get(URL)

    assert response.status_code == 200
    assert shown(response) == [3, 2, 1]
    content = response.content.decode()
    assert "3 events" in content
    assert "Signed in" in content
    assert "Sign-in failed" in content
    assert f"accounts.user {administrator.pk}" in content
    assert "<td>lin</td>" in content


def test_it_filters_by_actor(
    client: Client, administrator: User, staff: User, coordinator: User
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    audit_record(action=AuditEvent.Action.LOGIN, actor=coordinator)
    audit_record(action=AuditEvent.Action.LOGOUT, actor=staff)
    sign_in(client, administrator)

    response = client.get(URL, {"actor": staff.pk})

    assert shown(response) == [3, 1]


def test_it_filters_by_action(client: Client, administrator: User, staff: User) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    audit_record(action=AuditEvent.Action.EXPORT, actor=staff)
    audit_record(action=AuditEvent.Action.LOGOUT, actor=staff)
    sign_in(client, administrator)

    response = client.get(URL, {"action": AuditEvent.Action.EXPORT})

    assert shown(response) == [2]


def test_it_filters_by_object_type_whatever_its_case(
    client: Client, administrator: User, staff: User
) -> None:
    audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=staff)
    audit_record(
        action=AuditEvent.Action.PERMISSION_DENIED,
        actor=staff,
        object_type="url",
        object_id="audit:events",
    )
    sign_in(client, administrator)

    response = client.get(URL, {"object_type": " Accounts.User "})

    assert shown(response) == [1]


def test_it_filters_by_object_id(
    client: Client, administrator: User, staff: User, other_staff: User
) -> None:
    audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=staff)
    audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=other_staff)
    audit_record(action=AuditEvent.Action.CHANGE, actor=administrator, target=staff)
    sign_in(client, administrator)

    response = client.get(URL, {"object_id": str(staff.pk)})

    assert shown(response) == [3, 1]


def test_it_filters_by_a_date_range_including_both_ends(
    client: Client, administrator: User, staff: User
) -> None:
    for day in [
        datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
        datetime(2026, 2, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 2, 15, 12, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    ]:
        with time_machine.travel(day, tick=False):
            audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    sign_in(client, administrator)

    response = client.get(URL, {"date_from": "2026-02-01", "date_to": "2026-02-28"})

    assert shown(response) == [4, 3, 2]


def test_it_filters_from_a_date_alone(client: Client, administrator: User, staff: User) -> None:
    for day in [datetime(2026, 1, 10, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC)]:
        with time_machine.travel(day, tick=False):
            audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    sign_in(client, administrator)

    response = client.get(URL, {"date_from": "2026-02-01"})

    assert shown(response) == [2]


def test_it_shows_fifty_events_a_page_and_the_rest_on_page_two(
    client: Client, administrator: User
) -> None:
    record_many(60, [administrator])
    sign_in(client, administrator)

    first = client.get(URL)
    second = client.get(URL, {"page": 2})

    assert shown(first) == list(range(60, 10, -1))
    assert shown(second) == list(range(10, 0, -1))
    assert "Page 2 of 2" in second.content.decode()
    assert 'rel="prev"' in second.content.decode()


def test_it_keeps_the_filters_on_the_next_page_link(
    client: Client, administrator: User, staff: User
) -> None:
    record_many(55, [staff])
    sign_in(client, administrator)

    response = client.get(URL, {"actor": staff.pk})

    assert f'href="?actor={staff.pk}&amp;page=2"' in response.content.decode()


def test_it_runs_as_many_queries_for_sixty_events_as_for_five(
    client: Client, administrator: User, staff: User, coordinator: User, other_staff: User
) -> None:
    actors = [administrator, staff, coordinator, other_staff]
    record_many(5, actors)
    sign_in(client, administrator)
    # The first request notes the session's activity; measure the ones after it.
    client.get(URL)

    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200
    record_many(55, actors)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(shown(response)) == 50

    assert len(many) == len(few)


def test_it_shows_the_form_error_for_a_date_it_cannot_read(
    client: Client, administrator: User, staff: User
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    sign_in(client, administrator)

    response = client.get(URL, {"date_from": "not a date"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"date_from": ["Enter a valid date."]}
    assert "Enter a valid date." in response.content.decode()


def test_a_bad_filter_keeps_the_other_filters_applied(
    client: Client, administrator: User, staff: User, coordinator: User
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    audit_record(action=AuditEvent.Action.LOGIN, actor=coordinator)
    sign_in(client, administrator)

    response = client.get(URL, {"actor": str(staff.pk), "date_from": "not a date"})

    assert [event.actor for event in response.context["page"]] == [staff]


def test_it_shows_the_form_error_for_an_unknown_actor(client: Client, administrator: User) -> None:
    sign_in(client, administrator)

    response = client.get(URL, {"actor": "not-a-user"})

    assert response.status_code == 200
    assert "actor" in response.context["form"].errors


@pytest.mark.parametrize("persona", ["staff", "coordinator"])
def test_it_refuses_anyone_but_an_administrator_and_records_it(
    client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    user: User = request.getfixturevalue(persona)
    sign_in(client, user)

    response = client.get(URL)

    assert response.status_code == 403
    denied = AuditEvent.objects.get()
    assert denied.action == AuditEvent.Action.PERMISSION_DENIED
    assert denied.actor == user
    assert (denied.object_type, denied.object_id) == ("url", "audit:events")


def test_it_sends_a_user_without_a_second_factor_to_enrol(client: Client, unverified: User) -> None:
    sign_in(client, unverified)

    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == "/login/enrol/"


def test_it_sends_an_administrator_who_gave_only_a_password_to_verify(
    client: Client, administrator: User
) -> None:
    client.force_login(administrator)

    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == "/login/verify/"


def test_it_refuses_post(client: Client, administrator: User) -> None:
    sign_in(client, administrator)

    response = client.post(URL, {"action": AuditEvent.Action.LOGIN})

    assert response.status_code == 405
    assert not AuditEvent.objects.exists()


def test_it_shows_events_not_yet_sealed_in_order_of_arrival(
    client: Client, administrator: User, staff: User
) -> None:
    audit_record(action=AuditEvent.Action.LOGIN, actor=staff)
    audit_seal()
    # As a request appends it on Postgres, before the sealer has run.
    AuditEvent.objects.create(at=timezone.now(), actor=staff, action=AuditEvent.Action.LOGOUT)
    sign_in(client, administrator)

    response = client.get(URL)

    assert response.status_code == 200
    assert shown(response) == [2, 1]
    content = response.content.decode()
    assert "2 events" in content
    assert "Signed out" in content
    assert "<td>not yet sealed</td>" in content
    assert "<td>1</td>" in content
