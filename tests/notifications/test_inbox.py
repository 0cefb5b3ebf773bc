import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safespaces.accounts.models import User
from safespaces.notifications.models import Delivery, Notification
from safespaces.notifications.services import UnknownKind, notify
from tests.conftest import sign_in

LINK = "/people/"


def header_count(page: str) -> str:
    header = page.split('class="site-header"')[1].split("</header>")[0]
    found = re.search(r'class="count"[^>]*>(\d+)<', header)
    return found.group(1) if found else ""


def test_notify_records_one_notification_per_recipient_and_nothing_leaves_without_channels(
    staff: User, other_staff: User
) -> None:
    made = notify(kind="tests.routine", recipients=[staff, other_staff, staff], link=LINK)

    assert {n.recipient for n in made} == {staff, other_staff}
    assert Notification.objects.filter(kind="tests.routine", link=LINK).count() == 2
    assert not Delivery.objects.exists()  # no email or relay configured here


def test_notify_refuses_an_unknown_kind_and_a_link_off_the_site(staff: User) -> None:
    with pytest.raises(UnknownKind):
        notify(kind="tests.never_registered", recipients=[staff], link=LINK)
    for link in ["https://elsewhere.example/", "//elsewhere.example/", "people/"]:
        with pytest.raises(ValueError, match="path on this site"):
            notify(kind="tests.routine", recipients=[staff], link=link)
    assert not Notification.objects.exists()


def test_the_header_counts_unread_notifications(client: Client, staff: User) -> None:
    notify(kind="tests.routine", recipients=[staff], link=LINK)
    notify(kind="tests.check_in_overdue", recipients=[staff], link=LINK)

    response = sign_in(client, staff).get("/")

    assert response.status_code == 200
    assert header_count(response.content.decode()) == "2"
    assert "Notifications: 2 unread" in response.content.decode()


def test_the_header_shows_no_count_when_all_are_read(client: Client, staff: User) -> None:
    notify(kind="tests.routine", recipients=[staff], link=LINK)
    Notification.objects.update(read_at="2026-01-01T00:00Z")

    response = sign_in(client, staff).get("/")

    assert response.status_code == 200
    assert 'href="/notifications/"' in response.content.decode()
    assert header_count(response.content.decode()) == ""


def test_the_count_is_one_query_whatever_the_number(client: Client, staff: User) -> None:
    sign_in(client, staff)
    notify(kind="tests.routine", recipients=[staff], link=LINK)
    client.get("/")  # the session's first request notes it in use
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for _ in range(5):
        notify(kind="tests.routine", recipients=[staff], link=LINK)
    with CaptureQueriesContext(connection) as six:
        response = client.get("/")

    counts = [q["sql"] for q in six.captured_queries if "notifications_notification" in q["sql"]]
    assert header_count(response.content.decode()) == "6"
    assert len(counts) == 1 and "COUNT(" in counts[0]
    assert len(six.captured_queries) == len(one.captured_queries)


def test_the_inbox_lists_only_ones_own_newest_first(
    client: Client, staff: User, other_staff: User
) -> None:
    notify(kind="tests.routine", recipients=[staff], link=LINK)
    notify(kind="account.sign_in", recipients=[staff], link="/account/")
    notify(kind="tests.check_in_overdue", recipients=[other_staff], link=LINK)

    response = sign_in(client, staff).get("/notifications/")

    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("New sign-in to your account") < page.index("Routine")
    assert "Check-in overdue" not in page


def test_the_inbox_is_paginated(client: Client, staff: User) -> None:
    for _ in range(26):
        notify(kind="tests.routine", recipients=[staff], link=LINK)

    response = sign_in(client, staff).get("/notifications/?page=2")

    assert response.status_code == 200
    assert response.content.decode().count('name="notification"') == 1
    assert "Page 2 of 2" in response.content.decode()


def test_marking_one_read_leaves_the_others_unread(client: Client, staff: User) -> None:
    first, second = (
        notify(kind="tests.routine", recipients=[staff], link=LINK)[0] for _ in range(2)
    )

    response = sign_in(client, staff).post("/notifications/read/", {"notification": first.code})

    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_opening_one_marks_it_read_and_goes_to_its_page(client: Client, staff: User) -> None:
    made = notify(kind="tests.routine", recipients=[staff], link=LINK)[0]

    response = sign_in(client, staff).post(
        "/notifications/read/", {"notification": made.code, "open": "1"}
    )

    assert response.status_code == 302
    assert response["Location"] == LINK
    made.refresh_from_db()
    assert made.read_at is not None


def test_someone_elses_notification_is_not_found(
    client: Client, staff: User, other_staff: User, administrator: User
) -> None:
    theirs = notify(kind="tests.routine", recipients=[other_staff], link=LINK)[0]

    for user in [staff, administrator]:
        response = sign_in(Client(), user).post(
            "/notifications/read/", {"notification": theirs.code}
        )
        assert response.status_code == 404
    missing = sign_in(client, staff).post("/notifications/read/", {"notification": uuid.uuid4()})
    garbage = client.post("/notifications/read/", {"notification": "not-a-code"})

    assert (missing.status_code, garbage.status_code) == (404, 404)
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert Notification.objects.filter(recipient=other_staff).count() == 1


def test_mark_all_read_touches_only_ones_own(
    client: Client, staff: User, other_staff: User
) -> None:
    notify(kind="tests.routine", recipients=[staff, other_staff], link=LINK)
    notify(kind="tests.routine", recipients=[staff], link=LINK)

    response = sign_in(client, staff).post("/notifications/read-all/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=staff, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_staff, read_at__isnull=True).count() == 1


def test_marking_read_needs_a_post_with_the_csrf_token(staff: User) -> None:
    made = notify(kind="tests.routine", recipients=[staff], link=LINK)[0]
    client = sign_in(Client(enforce_csrf_checks=True), staff)

    got = client.get("/notifications/read-all/")
    forged = client.post("/notifications/read/", {"notification": made.code})

    assert (got.status_code, forged.status_code) == (405, 403)
    made.refresh_from_db()
    assert made.read_at is None
    assert Notification.objects.filter(recipient=staff).count() == 1
