import re
from datetime import timedelta

import time_machine
from django.test import Client

from incidents.models import Incident, TimelineEntry
from safespaces.accounts.models import User
from safespaces.drafts.models import Draft
from tests.conftest import local, sign_in
from tests.crypto.support import raw_value
from tests.factories import IncidentFactory

URL = "/incidents/new/"
MORNING = local(2026, 11, 20, 10, 0)
# One minute past the idle timeout of 30 minutes.
AFTER_TIMEOUT = timedelta(minutes=31)
TYPED = "A grey van waited outside the shelter all evening."


def form_data(**changes: object) -> dict[str, object]:
    data = {
        "kind": "threat",
        "occurred_on": "2026-11-20",
        "summary": "Van outside the shelter",
        "description": TYPED,
        "severity": "4",
        "visibility": "coordinators",
    }
    return {**data, **changes}


def csrf_token_of(content: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', content)
    assert found is not None, "no CSRF token in the page"
    return found.group(1).decode()


def test_a_form_sent_after_the_session_expired_is_kept_for_its_author(
    client: Client, staff: User
) -> None:
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(client, staff).get(URL)
        clock.shift(AFTER_TIMEOUT)

        response = client.post(URL, form_data(), follow=True)

    assert response.redirect_chain == [("/login/", 302)]
    assert b"Your session ended. Please sign in again." in response.content
    assert b"What you were writing is kept" in response.content
    draft = Draft.objects.get()
    assert (draft.user, draft.form) == (staff, "incidents:create")
    assert draft.data["description"] == [TYPED]
    assert not Incident.objects.exists()


def test_signing_in_again_brings_back_what_was_typed(client: Client, staff: User) -> None:
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(client, staff).get(URL)
        clock.shift(AFTER_TIMEOUT)
        client.post(URL, form_data())
        clock.shift(timedelta(minutes=2))

        response = sign_in(client, staff).get(URL)

    page = response.content.decode()
    assert "This is your unsent report from 20 Nov 2026, 10:31." in page
    assert TYPED in page
    assert 'value="Van outside the shelter"' in page
    assert re.search(r'<input [^>]*name="visibility" value="coordinators"[^>]*checked', page)
    assert re.search(r'<input [^>]*name="severity" value="4"[^>]*checked', page)


def test_the_kept_draft_is_checked_against_csrf_like_any_post(staff: User) -> None:
    client = Client(enforce_csrf_checks=True)
    with time_machine.travel(MORNING, tick=False) as clock:
        token = csrf_token_of(sign_in(client, staff).get(URL).content)
        clock.shift(AFTER_TIMEOUT)

        response = client.post(URL, form_data(csrfmiddlewaretoken=token))

    assert response["Location"] == "/login/"
    assert Draft.objects.get().data["description"] == [TYPED]


def test_a_post_with_a_wrong_csrf_token_keeps_nothing(staff: User) -> None:
    client = Client(enforce_csrf_checks=True)
    with time_machine.travel(MORNING, tick=False) as clock:
        token = csrf_token_of(sign_in(client, staff).get(URL).content)
        clock.shift(AFTER_TIMEOUT)

        response = client.post(URL, form_data(csrfmiddlewaretoken=token[::-1]))

    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_a_post_without_a_csrf_token_keeps_nothing(staff: User) -> None:
    client = Client(enforce_csrf_checks=True)
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(client, staff).get(URL)
        clock.shift(AFTER_TIMEOUT)

        response = client.post(URL, form_data())

    assert response.status_code == 403
    assert not Draft.objects.exists()


def test_a_post_to_a_form_that_keeps_no_drafts_keeps_nothing(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)
    entries = f"/incidents/{incident.pk}/entries/new/"
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(client, staff).get(entries)
        clock.shift(AFTER_TIMEOUT)

        response = client.post(entries, {"kind": "note", "body": TYPED})

    assert response["Location"] == "/login/"
    assert not Draft.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_a_post_within_the_session_is_not_kept_as_a_draft(client: Client, staff: User) -> None:
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(client, staff).get(URL)
        clock.shift(timedelta(minutes=29))

        response = client.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{Incident.objects.get().pk}/"
    assert not Draft.objects.exists()


def test_a_session_with_only_a_password_keeps_nothing(client: Client, staff: User) -> None:
    """Someone who knows the password but not the second factor must not write as the user."""
    with time_machine.travel(MORNING, tick=False) as clock:
        client.force_login(staff)
        client.get("/login/verify/")
        clock.shift(AFTER_TIMEOUT)

        response = client.post(URL, form_data())

    assert response["Location"] == "/login/"
    assert not Draft.objects.exists()


def test_drafts_older_than_thirty_days_are_dropped(client: Client, staff: User) -> None:
    with time_machine.travel(MORNING, tick=False) as clock:
        sign_in(client, staff).post(URL, form_data(save_draft="1"))
        clock.shift(timedelta(days=29))
        still_there = sign_in(client, staff).get(URL)
        clock.shift(timedelta(days=2))

        gone = sign_in(client, staff).get(URL)

    assert TYPED.encode() in still_there.content
    assert gone.status_code == 200
    assert b"Log an incident" in gone.content
    assert TYPED.encode() not in gone.content
    assert b"This is your unsent report" not in gone.content
    assert not Draft.objects.exists()


def test_a_draft_is_shown_to_its_author_only(
    client: Client, staff: User, other_staff: User
) -> None:
    sign_in(client, staff).post(URL, form_data(save_draft="1"))

    response = sign_in(Client(), other_staff).get(URL)

    assert response.status_code == 200
    assert b"Log an incident" in response.content
    assert TYPED.encode() not in response.content
    assert Draft.objects.get().user == staff


def test_saving_again_replaces_the_draft(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, form_data(save_draft="1"))

    client.post(URL, form_data(description="Only a car this time.", save_draft="1"))

    draft = Draft.objects.get()
    assert draft.data["description"] == ["Only a car this time."]


def test_the_draft_is_encrypted_in_the_database(client: Client, staff: User) -> None:
    sign_in(client, staff).post(URL, form_data(save_draft="1"))

    stored = raw_value(Draft, "data", Draft.objects.get().pk)

    assert b"grey van" not in stored
    assert b"Van outside" not in stored
    assert b"description" not in stored
