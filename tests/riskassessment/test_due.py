"""When a situation is due for reassessment (riskassessment.selectors.with_due): worked out by
query from its assessments and the incidents the user may see, on a frozen clock."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import Incident
from riskassessment.models import Assessment, RiskSituation
from riskassessment.selectors import (
    DUE_REASONS,
    assessments_of,
    due_reasons,
    months_before,
    participants_of,
    situation_due,
    with_due,
    with_due_flag,
    with_latest,
)
from safespaces.accounts.models import User
from tests.conftest import local
from tests.factories import (
    ActorFactory,
    IncidentFactory,
    PersonFactory,
    PlaceFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    UserFactory,
)

NOW = local(2026, 3, 15, 12, 0)
ASSESSED = local(2026, 1, 10, 9, 0)  # well inside the default six months
LATER = local(2026, 2, 1, 9, 0)  # after the assessment
EARLIER = local(2026, 1, 5, 9, 0)  # before it


@pytest.fixture(autouse=True)
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def assessed(situation: RiskSituation, at: datetime = ASSESSED, **fields: object) -> Assessment:
    """An assessment of the situation, made at `at`."""
    with time_machine.travel(at, tick=False):
        return RiskAssessmentFactory(situation=situation, **fields)


def logged(at: datetime, **fields: object) -> Incident:
    """An incident logged at `at`, visible to the whole team unless told otherwise."""
    with time_machine.travel(at, tick=False):
        return IncidentFactory(**fields)


def reasons(situation: RiskSituation, user: User) -> list[str]:
    """The names of the rules that make the situation due for `user`, today."""
    annotated = with_due(RiskSituation.objects.filter(pk=situation.pk), user)[0]
    flags = [reason for reason in DUE_REASONS if getattr(annotated, reason)]
    assert annotated.is_due == bool(flags)
    # The database's answer, which the register filters and the home page picks on, agrees.
    flagged = with_due_flag(with_latest(RiskSituation.objects.filter(pk=situation.pk)), user)
    assert flagged.get().is_due == bool(flags)
    # And so does the situation's page, which works it out from the versions it has read.
    loaded = RiskSituation.objects.get(pk=situation.pk)
    versions = assessments_of(loaded)
    on_page = situation_due(
        loaded,
        user,
        versions,
        threats=versions[0].threats.all() if versions else [],
        people=loaded.people.all(),
        participants=participants_of(loaded),
    )
    assert on_page == due_reasons(annotated)
    return flags


def reasons_on(day: datetime, situation: RiskSituation, user: User) -> list[str]:
    with time_machine.travel(day, tick=False):
        return reasons(situation, user)


# --- Its own dates ------------------------------------------------------------------------------


def test_a_situation_never_assessed_is_due(coordinator: User) -> None:
    situation = RiskSituationFactory()

    assert reasons(situation, coordinator) == ["due_never"]


def test_a_recently_assessed_situation_is_not_due(coordinator: User) -> None:
    situation = RiskSituationFactory()
    assessed(situation, valid_until=date(2026, 6, 30))

    assert reasons(situation, coordinator) == []


def test_it_is_due_once_the_decisions_validity_date_has_passed(coordinator: User) -> None:
    situation = RiskSituationFactory()
    assessed(situation, decision="go", valid_until=date(2026, 3, 14))

    assert reasons_on(local(2026, 3, 14, 23, 59), situation, coordinator) == []
    assert reasons_on(local(2026, 3, 15, 0, 0), situation, coordinator) == ["due_expired"]


def test_a_reassessment_in_progress_does_not_hide_the_passed_validity_date(
    coordinator: User,
) -> None:
    situation = RiskSituationFactory()
    assessed(situation, decision="go", valid_until=date(2026, 3, 14))
    assessed(situation, at=local(2026, 3, 20, 9, 0))  # started, not decided

    assert reasons_on(local(2026, 3, 21, 9, 0), situation, coordinator) == ["due_expired"]


def test_it_is_due_once_six_months_have_passed_by_default(coordinator: User) -> None:
    situation = RiskSituationFactory()
    assessed(situation, at=local(2026, 1, 15, 10, 0))

    assert situation.review_every_months == 6
    assert reasons_on(local(2026, 7, 14, 12, 0), situation, coordinator) == []
    assert reasons_on(local(2026, 7, 15, 12, 0), situation, coordinator) == []  # the day itself
    assert reasons_on(local(2026, 7, 16, 0, 0), situation, coordinator) == ["due_interval"]


def test_each_situation_has_its_own_review_interval(coordinator: User) -> None:
    monthly = RiskSituationFactory(review_every_months=1)
    yearly = RiskSituationFactory(review_every_months=12)
    for situation in (monthly, yearly):
        assessed(situation, at=local(2026, 1, 15, 10, 0))

    on_the_16th_of_february = local(2026, 2, 16, 12, 0)
    assert reasons_on(on_the_16th_of_february, monthly, coordinator) == ["due_interval"]
    assert reasons_on(on_the_16th_of_february, yearly, coordinator) == []
    assert reasons_on(local(2027, 1, 15, 12, 0), yearly, coordinator) == []
    assert reasons_on(local(2027, 1, 16, 12, 0), yearly, coordinator) == ["due_interval"]


def test_an_interval_counts_from_the_latest_version(coordinator: User) -> None:
    situation = RiskSituationFactory(review_every_months=1)
    assessed(situation, at=local(2025, 6, 1, 10, 0))
    assessed(situation, at=local(2026, 3, 1, 10, 0))

    assert reasons(situation, coordinator) == []


def test_an_interval_from_the_end_of_a_long_month_ends_in_a_short_one(coordinator: User) -> None:
    # 31 January plus a month is 28 February: due from 1 March.
    situation = RiskSituationFactory(review_every_months=1)
    assessed(situation, at=local(2026, 1, 31, 10, 0))

    assert reasons_on(local(2026, 2, 28, 12, 0), situation, coordinator) == []
    assert reasons_on(local(2026, 3, 1, 0, 0), situation, coordinator) == ["due_interval"]


def test_an_interval_from_the_end_of_a_short_month_ends_on_the_same_day(
    coordinator: User,
) -> None:
    # 28 February plus a month is 28 March: due from the 29th, not from April.
    situation = RiskSituationFactory(review_every_months=1)
    assessed(situation, at=local(2026, 2, 28, 10, 0))

    assert reasons_on(local(2026, 3, 28, 12, 0), situation, coordinator) == []
    assert reasons_on(local(2026, 3, 29, 0, 0), situation, coordinator) == ["due_interval"]


def test_a_six_month_interval_from_the_30th_of_april_ends_on_the_30th_of_october(
    coordinator: User,
) -> None:
    situation = RiskSituationFactory()
    assessed(situation, at=local(2026, 4, 30, 10, 0))

    assert reasons_on(local(2026, 10, 30, 12, 0), situation, coordinator) == []
    assert reasons_on(local(2026, 10, 31, 12, 0), situation, coordinator) == ["due_interval"]


@pytest.mark.parametrize(
    ("day", "months", "since"),
    [
        (date(2026, 7, 15), 6, date(2026, 1, 15)),
        (date(2026, 2, 10), 3, date(2025, 11, 10)),  # across the new year
        (date(2026, 3, 28), 1, date(2026, 2, 28)),
        # February has no 29th to 31st: anything assessed in February is a month old by then.
        (date(2026, 3, 29), 1, date(2026, 3, 1)),
        (date(2026, 3, 31), 1, date(2026, 3, 1)),
        (date(2026, 10, 31), 6, date(2026, 5, 1)),
        (date(2028, 3, 29), 1, date(2028, 2, 29)),  # a leap year has it
        (date(2026, 1, 31), 24, date(2024, 1, 31)),
    ],
)
def test_months_before_gives_the_first_day_not_yet_a_full_interval_ago(
    day: date, months: int, since: date
) -> None:
    assert months_before(day, months) == since


# --- Newer incidents ----------------------------------------------------------------------------


def test_a_newer_incident_linked_to_the_situation_makes_it_due(coordinator: User) -> None:
    situation = RiskSituationFactory()
    assessed(situation)
    situation.incidents.add(logged(LATER))

    assert reasons(situation, coordinator) == ["due_linked"]


def test_a_newer_incident_at_its_place_makes_it_due(coordinator: User) -> None:
    place = PlaceFactory()
    situation = RiskSituationFactory(place=place)
    assessed(situation)
    logged(LATER, place=PlaceFactory())  # somewhere else

    assert reasons(situation, coordinator) == []

    logged(LATER, place=place)

    assert reasons(situation, coordinator) == ["due_place"]


def test_a_newer_incident_from_a_threats_source_makes_it_due(coordinator: User) -> None:
    recruiters = ActorFactory()
    situation = RiskSituationFactory()
    RiskThreatFactory(assessment=assessed(situation), source=recruiters)
    logged(LATER, source=ActorFactory())  # someone else

    assert reasons(situation, coordinator) == []

    logged(LATER, source=recruiters)

    assert reasons(situation, coordinator) == ["due_source"]


def test_only_the_sources_of_the_latest_version_count(coordinator: User) -> None:
    gone = ActorFactory()
    situation = RiskSituationFactory()
    RiskThreatFactory(assessment=assessed(situation, at=local(2026, 1, 2, 9, 0)), source=gone)
    assessed(situation)  # the threat from `gone` was dropped from this version
    logged(LATER, source=gone)

    assert reasons(situation, coordinator) == []


def test_a_newer_incident_affecting_someone_involved_makes_it_due(coordinator: User) -> None:
    swallow = PersonFactory()
    situation = RiskSituationFactory(people=[swallow])
    assessed(situation)
    logged(LATER).affected_people.add(PersonFactory())  # someone not involved

    assert reasons(situation, coordinator) == []

    logged(LATER).affected_people.add(swallow)

    assert reasons(situation, coordinator) == ["due_people"]


def test_a_newer_incident_affecting_a_staff_member_taking_part_makes_it_due(
    coordinator: User, staff: User
) -> None:
    lin = PersonFactory(user=staff)  # Lin's own record as a person
    situation = RiskSituationFactory(participants=[staff])
    assessed(situation)

    logged(LATER).affected_people.add(lin)

    assert reasons(situation, coordinator) == ["due_people"]


def test_an_incident_older_than_the_latest_assessment_does_not_count(coordinator: User) -> None:
    place, recruiters, swallow = PlaceFactory(), ActorFactory(), PersonFactory()
    situation = RiskSituationFactory(place=place, people=[swallow])
    RiskThreatFactory(assessment=assessed(situation), source=recruiters)
    older = logged(EARLIER, place=place, source=recruiters)
    older.affected_people.add(swallow)
    situation.incidents.add(older)

    assert reasons(situation, coordinator) == []


def test_every_reason_is_given_at_once(coordinator: User) -> None:
    place, recruiters, swallow = PlaceFactory(), ActorFactory(), PersonFactory()
    situation = RiskSituationFactory(place=place, people=[swallow], review_every_months=1)
    RiskThreatFactory(
        assessment=assessed(situation, decision="go", valid_until=date(2026, 2, 1)),
        source=recruiters,
    )
    newer = logged(LATER, place=place, source=recruiters)
    newer.affected_people.add(swallow)
    situation.incidents.add(newer)

    annotated = with_due(RiskSituation.objects.filter(pk=situation.pk), coordinator)[0]

    assert reasons(situation, coordinator) == [
        "due_expired",
        "due_interval",
        "due_linked",
        "due_place",
        "due_source",
        "due_people",
    ]
    assert due_reasons(annotated) == [
        "The decision's validity date has passed.",
        "Its review interval has passed.",
        "A newer incident is linked to the situation.",
        "A newer incident happened at its place.",
        "A newer incident came from one of its threat sources.",
        "A newer incident affects someone taking part.",
    ]


# --- What the user may see ----------------------------------------------------------------------


def test_an_incident_the_user_may_not_see_does_not_make_it_due_for_them(
    coordinator: User, administrator: User, staff: User, named_staff: User
) -> None:
    place, recruiters, swallow = PlaceFactory(), ActorFactory(), PersonFactory()
    situation = RiskSituationFactory(place=place, people=[swallow])
    RiskThreatFactory(assessment=assessed(situation), source=recruiters)
    # Lin logged it for herself and Jo only: Rosa may not know it exists. It meets every rule.
    named = logged(LATER, reporter=staff, visibility="named", place=place, source=recruiters)
    named.shared_with.set([named_staff])
    named.affected_people.add(swallow)
    situation.incidents.add(named)

    assert reasons(situation, coordinator) == []
    assert reasons(situation, administrator) == [
        "due_linked",
        "due_place",
        "due_source",
        "due_people",
    ]


def test_someone_who_may_see_no_incident_is_told_of_none(coordinator: User) -> None:
    place = PlaceFactory()
    situation = RiskSituationFactory(place=place)
    assessed(situation)
    logged(LATER, place=place)

    assert reasons(situation, coordinator) == ["due_place"]
    assert reasons(situation, UserFactory()) == []  # no role: no incident at all


def test_an_incident_counts_from_the_minute_after_the_assessment_in_any_time_zone(
    coordinator: User,
) -> None:
    place = PlaceFactory()
    situation = RiskSituationFactory(place=place)
    assessed(situation)
    logged(ASSESSED - timedelta(minutes=1), place=place)

    # Fourteen hours ahead of the database's clock: a time read in the wrong zone would count.
    with timezone.override("Pacific/Kiritimati"):
        assert reasons(situation, coordinator) == []

        logged(ASSESSED + timedelta(minutes=1), place=place)

        assert reasons(situation, coordinator) == ["due_place"]


def test_an_incident_for_coordinators_counts_for_a_coordinator(coordinator: User) -> None:
    situation = RiskSituationFactory()
    assessed(situation)
    situation.incidents.add(logged(LATER, visibility="coordinators"))

    assert reasons(situation, coordinator) == ["due_linked"]


# --- Closed situations --------------------------------------------------------------------------


def test_a_closed_situation_is_never_due(coordinator: User) -> None:
    place = PlaceFactory()
    never = RiskSituationFactory(status="closed")
    closed = RiskSituationFactory(status="closed", place=place, review_every_months=1)
    assessed(closed, at=local(2025, 1, 1, 9, 0), valid_until=date(2025, 2, 1))
    closed.incidents.add(logged(LATER, place=place))

    assert reasons(never, coordinator) == []
    assert reasons(closed, coordinator) == []
