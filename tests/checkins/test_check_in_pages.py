"""The pages of a check-in: starting one (on its own or from a safety plan), the buttons on the
home page of the person out in the field, and the watchers' red panel, acknowledgement, calls and
outcome, with "not reached" going on to the incident form filled in."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from checkins.alerts import CLOSED, HELP, MISSED
from checkins.models import CheckIn, CheckInEntry
from incidents.services import LOG_FORM
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.drafts.models import Draft
from safespaces.notifications.models import Notification
from tests.checkins.conftest import DUE, STARTED, run_deadlines_at, start
from tests.conftest import local, sign_in
from tests.factories import RiskSituationFactory

pytestmark = pytest.mark.django_db

ALERT_TIME = DUE + timedelta(minutes=10)


def page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_staff_start_a_check_in_and_home_shows_their_buttons(
    staff: User, other_staff: User
) -> None:
    client = sign_in(Client(), staff)
    with time_machine.travel(STARTED, tick=False):
        response = client.post(
            "/checkins/start/",
            {
                "activity": "Outreach at the night market",
                "company": "Kestrel",
                "by": "22:00",
                "every": "",
                "watchers": [other_staff.pk],
                "grace_minutes": "10",
            },
        )
        home = page(client, "/")

    assert response.status_code == 302
    check_in = CheckIn.objects.get(person=staff)
    assert (check_in.due_at, check_in.grace_minutes) == (DUE, 10)
    assert list(check_in.watchers.all()) == [other_staff]
    assert check_in.activity == "Outreach at the night market"
    assert "Check in by 22:00" in home
    assert f'action="/checkins/{check_in.pk}/safe/"' in home
    assert f'action="/checkins/{check_in.pk}/help/"' in home


def test_a_time_already_passed_today_means_tomorrow(staff: User, other_staff: User) -> None:
    client = sign_in(Client(), staff)
    with time_machine.travel(local(2026, 6, 4, 23, 30), tick=False):
        client.post(
            "/checkins/start/",
            {
                "activity": "Night shift",
                "by": "01:00",
                "watchers": [other_staff.pk],
                "grace_minutes": "5",
            },
        )

    assert CheckIn.objects.get(person=staff).due_at == local(2026, 6, 5, 1, 0)


def test_a_start_without_a_watcher_is_refused_and_keeps_what_was_typed(staff: User) -> None:
    client = sign_in(Client(), staff)

    response = client.post(
        "/checkins/start/",
        {"activity": "Typed on a bus", "by": "22:00", "grace_minutes": "10"},
    )

    assert response.status_code == 200
    assert "Typed on a bus" in response.content.decode()
    assert "This field is required." in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_safety_plan_offers_its_check_in_filled_in(
    staff: User, other_staff: User, coordinator: User
) -> None:
    situation = RiskSituationFactory(
        participants=[staff], check_in_with=other_staff, check_in_grace_minutes=25
    )
    client = sign_in(Client(), staff)

    plan = page(client, f"/risks/{situation.pk}/plan/")
    form = page(client, f"/checkins/start/for/{situation.pk}/")

    assert f'href="/checkins/start/for/{situation.pk}/"' in plan
    assert "Start this check-in" in plan
    assert 'name="grace_minutes" value="25"' in form
    assert f"{situation.title}</textarea>" in form
    assert re.search(rf'name="watchers" value="{other_staff.pk}" checked', form)


def test_i_m_safe_ends_a_single_check_in_and_moves_a_repeating_one(
    staff: User, other_staff: User
) -> None:
    single = start(staff, [other_staff])
    repeating = start(staff, [other_staff], every_minutes=60)
    client = sign_in(Client(), staff)

    with time_machine.travel(local(2026, 6, 4, 21, 40), tick=False):
        assert client.post(f"/checkins/{single.pk}/safe/").status_code == 302
        assert client.post(f"/checkins/{repeating.pk}/safe/").status_code == 302

    single.refresh_from_db()
    repeating.refresh_from_db()
    assert (single.status, single.outcome) == ("closed", "ended")
    assert (repeating.status, repeating.due_at) == ("active", local(2026, 6, 4, 22, 40))


def test_help_now_alerts_the_watchers_and_every_coordinator_at_once(
    staff: User, other_staff: User, coordinator: User, administrator: User
) -> None:
    check_in = start(staff, [other_staff])
    client = sign_in(Client(), staff)

    with time_machine.travel(local(2026, 6, 4, 21, 20), tick=False):
        response = client.post(f"/checkins/{check_in.pk}/help/")

    assert response.status_code == 302
    check_in.refresh_from_db()
    assert (check_in.status, check_in.alarm) == ("alarm", "help")
    told = {n.recipient.username for n in Notification.objects.filter(kind=HELP)}
    assert told == {"sam", "rosa", "amina"}


def test_a_missed_check_in_is_red_on_a_coordinators_home_until_it_is_closed(
    staff: User, other_staff: User, coordinator: User
) -> None:
    check_in = start(staff, [other_staff])
    run_deadlines_at(ALERT_TIME)
    client = sign_in(Client(), coordinator)

    before = page(client, "/")
    response = client.post(
        f"/checkins/{check_in.pk}/close/", {"outcome": "safe", "note": "She called back."}
    )
    after = page(client, "/")

    assert 'class="alarm-panel"' in before
    assert "Lin</strong>: missed the check-in at 22:00" in before
    assert response.status_code == 302
    assert 'class="alarm-panel"' not in after
    assert "Hello, Rosa" in after


def test_watchers_acknowledge_note_their_calls_and_close_and_everyone_alerted_hears(
    staff: User, other_staff: User, coordinator: User
) -> None:
    check_in = start(staff, [other_staff, coordinator])
    run_deadlines_at(ALERT_TIME)
    client = sign_in(Client(), other_staff)

    client.post(f"/checkins/{check_in.pk}/acknowledge/")
    client.post(f"/checkins/{check_in.pk}/note/", {"note": "Called twice, no answer."})
    client.post(f"/checkins/{check_in.pk}/close/", {"outcome": "safe", "note": "Reached at home."})

    check_in.refresh_from_db()
    assert (check_in.status, check_in.outcome, check_in.closed_by) == (
        "closed",
        "safe",
        other_staff,
    )
    kinds = list(check_in.entries.values_list("kind", flat=True))
    assert kinds == ["started", "missed", "acknowledged", "call", "closed"]
    assert check_in.entries.get(kind=CheckInEntry.Kind.CALL).note == "Called twice, no answer."
    # The alarm is answered for everyone; the coordinator who also watched hears it is over.
    assert not Notification.objects.filter(kind=MISSED, read_at__isnull=True).exists()
    assert {n.recipient for n in Notification.objects.filter(kind=CLOSED)} == {coordinator}


def test_not_reached_opens_the_incident_form_filled_in_from_the_check_in(
    staff: User, other_staff: User
) -> None:
    check_in = start(staff, [other_staff])
    run_deadlines_at(ALERT_TIME)
    client = sign_in(Client(), other_staff)

    response = client.post(f"/checkins/{check_in.pk}/close/", {"outcome": "not_reached"})
    form = page(client, "/incidents/new/")

    assert response.status_code == 302
    assert response["Location"] == "/incidents/new/"
    assert str(check_in.pk) not in response["Location"]
    draft = Draft.objects.get(user=other_staff, form=LOG_FORM)
    assert draft.data["summary"] == ["Not reached after a missed check-in"]
    assert "Not reached after a missed check-in" in form
    assert "canary-activity" in form  # the check-in's details, in the description


def test_a_check_in_page_shows_its_details_and_is_recorded(staff: User, other_staff: User) -> None:
    check_in = start(staff, [other_staff])

    shown = page(sign_in(Client(), other_staff), f"/checkins/{check_in.pk}/")

    assert "canary-activity" in shown
    assert "canary-company" in shown
    viewed = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, actor=other_staff)
    assert viewed.count() == 1
