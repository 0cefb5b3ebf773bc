from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from allies.selectors import is_asked_often, request_record, requests_in_window
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import ActorFactory, EngagementFactory


def ask(actor: object, *, days_ago: int = 1, kind: str = "request", **fields: object) -> None:
    EngagementFactory(
        actor=actor, kind=kind, date=timezone.localdate() - timedelta(days_ago), **fields
    )


@pytest.mark.django_db
def test_requests_and_referrals_in_the_last_90_days_count_and_nothing_else() -> None:
    ally = ActorFactory()
    ask(ally, kind="request")
    ask(ally, kind="referral")
    ask(ally, kind="meeting")  # not asking for anything
    ask(ally, kind="training")
    ask(ally, days_ago=89)
    ask(ally, days_ago=90)  # the window is the last 90 days: this one has just left it

    assert requests_in_window([ally.pk]) == {ally.pk: 3}


@pytest.mark.django_db
def test_counts_for_many_allies_take_one_query(django_assert_num_queries: object) -> None:
    allies = [ActorFactory() for _ in range(5)]
    for ally in allies:
        ask(ally)

    with django_assert_num_queries(1):  # type: ignore[operator]
        asked = requests_in_window([ally.pk for ally in allies])

    assert set(asked.values()) == {1}


@override_settings(ALLY_ASKED_OFTEN_AFTER=3)
def test_an_ally_is_asked_often_only_above_the_organizations_threshold() -> None:
    assert not is_asked_often(3)
    assert is_asked_often(4)


@override_settings(ALLY_ASKED_OFTEN_AFTER=2)
def test_the_signal_shows_in_the_directory_and_on_the_allys_page(
    client: Client, staff: User
) -> None:
    weary, fresh = ActorFactory(name="Weary Shelter"), ActorFactory(name="Fresh Shelter")
    for _ in range(3):
        ask(weary)
    ask(fresh)
    sign_in(client, staff)

    directory = client.get("/allies/directory/").content.decode()
    page = client.get(f"/allies/{weary.pk}/").content.decode()

    weary_entry = directory[directory.index("Weary Shelter") :].split("</li>")[0]
    fresh_entry = directory[directory.index("Fresh Shelter") :].split("</li>")[0]
    assert "asked often" in weary_entry
    assert "asked often" not in fresh_entry
    # Staff get the signal; how many times is for coordinators, who see the contacts.
    assert "Asked for help often lately." in page and "3 times" not in page


@pytest.mark.django_db
def test_the_record_counts_outcomes_of_real_requests_and_the_typical_response_time() -> None:
    ally = ActorFactory()
    ask(ally, outcome="helped", response_hours=2)
    ask(ally, outcome="helped", response_hours=4)
    ask(ally, kind="referral", outcome="declined", response_hours=30)
    ask(ally, outcome="no_response", response_hours=None)
    ask(ally, outcome="pending", response_hours=None)
    ask(ally, kind="meeting", outcome="helped", response_hours=1)  # not a request

    record = request_record(ally)

    assert (record.asked, record.helped, record.declined, record.no_response) == (5, 2, 1, 1)
    assert record.pending == 1
    assert record.typical_hours == 4  # the median of 2, 4 and 30
