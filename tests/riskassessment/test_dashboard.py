"""The risk panel of the home page (riskassessment.dashboard): overdue measures for their owner and
for coordinators; for coordinators, what is due for reassessment and why, and the decisions
waiting for their approval."""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from unittest.mock import patch

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskassessment import selectors
from riskassessment.dashboard import SHOWN
from riskassessment.models import RiskSituation
from riskassessment.scoring import Level
from riskassessment.selectors import DUE_WINDOW
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.dashboard import Panel
from tests.conftest import local, sign_in
from tests.factories import (
    MeasureFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    UserFactory,
)

URL = "/"
NOW = local(2026, 3, 15, 12, 0)
YESTERDAY = date(2026, 3, 14)
PANEL = "riskassessment/_dashboard.html"
# How many of the register's first situations the panel looks at before the rest.
FIRST_LOOKED_AT = DUE_WINDOW * (SHOWN + 1)


@pytest.fixture(autouse=True)
def now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def other_coordinator(db: None) -> User:
    """Ines, a second coordinator: the second pair of eyes on Rosa's decisions."""
    return UserFactory(username="ines", display_name="Ines", role=Role.COORDINATOR)


def risk_panel(client: Client) -> dict[str, Any] | None:
    """The risk panel's context on the home page, or None if the page has no risk panel."""
    response = client.get(URL)
    assert response.status_code == 200
    panels: list[Panel] = response.context["panels"]
    found = [panel.context for panel in panels if panel.template == PANEL]
    return found[0] if found else None


def overdue(panel: dict[str, Any]) -> list[tuple[Any, bool]]:
    """The panel's overdue measures, each with whether the user may mark it done."""
    return [(allowed.measure, allowed.may_update) for allowed in panel["overdue"]]


def page(client: Client) -> str:
    """The home page's text, which must have answered 200."""
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def awaiting(decided_by: User, title: str) -> None:
    """A decision to go ahead with a high residual risk, not approved yet."""
    RiskAssessmentFactory(
        situation=RiskSituationFactory(title=title),
        decision="go_with_measures",
        decided_by=decided_by,
        decided_at=NOW,
        residual_level=Level.HIGH,
        valid_until=date(2026, 12, 31),
    )


# --- Overdue measures ---------------------------------------------------------------------------


def test_the_owner_sees_their_overdue_measure(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff, due_on=YESTERDAY, description="Buy a second phone.")

    panel = risk_panel(sign_in(client, staff))

    assert panel is not None
    assert overdue(panel) == [(measure, True)]  # theirs to mark done
    assert "assesses" not in panel  # staff see no reassessments or approvals
    assert "Buy a second phone." in page(client)


def test_another_staff_member_does_not_see_it(
    client: Client, staff: User, other_staff: User
) -> None:
    MeasureFactory(owner=staff, due_on=YESTERDAY, description="Buy a second phone.")

    sign_in(client, other_staff)

    assert risk_panel(client) is None
    text = page(client)
    assert "Hello, Sam" in text
    assert "Buy a second phone." not in text


def test_a_coordinator_sees_everyones_overdue_measures(
    client: Client, coordinator: User, staff: User, other_staff: User
) -> None:
    lins = MeasureFactory(owner=staff, due_on=date(2026, 3, 1))
    sams = MeasureFactory(owner=other_staff, due_on=YESTERDAY)

    panel = risk_panel(sign_in(client, coordinator))

    assert panel is not None
    # The longest overdue first; a coordinator may mark any of them done.
    assert overdue(panel) == [(lins, True), (sams, True)]


def test_measures_not_yet_due_done_or_of_closed_situations_are_not_overdue(
    client: Client, staff: User
) -> None:
    MeasureFactory(owner=staff, due_on=date(2026, 3, 15))  # due today, not overdue yet
    MeasureFactory(owner=staff, due_on=YESTERDAY, status="done")
    MeasureFactory(owner=staff, due_on=YESTERDAY, status="dropped")
    MeasureFactory(owner=staff, due_on=YESTERDAY, situation=RiskSituationFactory(status="closed"))
    underway = MeasureFactory(owner=staff, due_on=YESTERDAY, status="in_progress")

    panel = risk_panel(sign_in(client, staff))

    assert panel is not None
    assert overdue(panel) == [(underway, True)]


def test_a_few_overdue_measures_are_shown_with_a_link_to_the_rest(
    client: Client, coordinator: User
) -> None:
    MeasureFactory.create_batch(6, due_on=YESTERDAY)

    panel = risk_panel(sign_in(client, coordinator))

    assert panel is not None
    assert (len(panel["overdue"]), panel["more_overdue"]) == (5, True)


def test_a_staff_member_with_no_activity_and_nothing_overdue_gets_no_panel(
    client: Client, staff: User, other_staff: User
) -> None:
    MeasureFactory(owner=other_staff)
    RiskSituationFactory(participants=[other_staff])

    assert risk_panel(sign_in(client, staff)) is None


def test_staff_find_the_safety_plans_of_their_current_activities(
    client: Client, staff: User
) -> None:
    mine = RiskSituationFactory(participants=[staff], title="Court hearing for Swallow")
    owned = MeasureFactory(owner=staff).situation  # due in a week: not overdue
    RiskSituationFactory(participants=[staff], status="closed", title="Last year's fair")
    RiskSituationFactory(title="Someone else's outreach")

    panel = risk_panel(sign_in(client, staff))

    assert panel is not None
    assert {situation.pk for situation in panel["plans"]} == {mine.pk, owned.pk}
    text = page(client)
    assert reverse("riskassessment:plan", args=[mine.pk]) in text
    assert "Last year's fair" not in text
    assert "Someone else's outreach" not in text


# --- Due for reassessment -----------------------------------------------------------------------


def test_a_coordinator_sees_what_is_due_and_why(client: Client, coordinator: User) -> None:
    due = RiskSituationFactory(title="Court hearing for Swallow")
    expired = RiskSituationFactory(title="Night outreach")
    settled = {"decision": "go", "decided_by": coordinator, "residual_level": Level.LOW}
    RiskAssessmentFactory(situation=expired, valid_until=YESTERDAY, **settled)
    fine = RiskSituationFactory(title="Office move")
    RiskAssessmentFactory(situation=fine, valid_until=date(2026, 12, 31), **settled)

    sign_in(client, coordinator)
    panel = risk_panel(client)

    assert panel is not None
    reasons = {situation.pk: why for situation, why in panel["due"]}
    assert reasons == {
        due.pk: ["It has never been assessed."],
        expired.pk: ["The decision's validity date has passed."],
    }
    text = page(client)
    assert "Court hearing for Swallow</a>: It has never been assessed." in text
    assert "Office move" not in text


def register(count: int, decider: User, *, level: Level, due: bool) -> list[RiskSituation]:
    """`count` decided situations at `level` after the measures, each created a minute before
    the last (the register's order after the level), the decision still valid or not."""
    valid_until = YESTERDAY if due else date(2026, 12, 31)
    situations = []
    for _ in range(count):
        assessment = RiskAssessmentFactory(
            decision="go", decided_by=decider, residual_level=level, valid_until=valid_until
        )
        situation = assessment.situation
        situation.created_at = NOW - timedelta(minutes=RiskSituation.objects.count())
        situation.save(update_fields=["created_at"])
        situations.append(situation)
    return situations


def test_situations_due_further_down_the_register_are_found_after_the_first_due(
    client: Client, coordinator: User, other_coordinator: User
) -> None:
    """The panel looks at the register's first situations before the rest
    (selectors.first_due): with fewer due there than it shows, it goes on to those below, in
    the register's order, in one query more."""
    sign_in(client, coordinator).get(URL)  # the first request notes the session's start
    first = FIRST_LOOKED_AT + 1  # the situations below them are the rest
    high = register(first - 2, other_coordinator, level=Level.HIGH, due=False)
    high_due = register(2, other_coordinator, level=Level.HIGH, due=True)
    below = register(SHOWN, other_coordinator, level=Level.LOW, due=True)

    with CaptureQueriesContext(connection) as going_on:
        panel = risk_panel(client)

    assert panel is not None
    assert [situation.pk for situation, _why in panel["due"]] == [
        situation.pk for situation in [*high_due, *below][:SHOWN]
    ]
    assert panel["more_due"]

    for situation in high[: SHOWN + 1]:  # now the first hold enough
        situation.assessments.update(valid_until=YESTERDAY)
    with CaptureQueriesContext(connection) as first_enough:
        panel = risk_panel(client)

    assert panel is not None
    assert [situation.pk for situation, _why in panel["due"]] == [
        situation.pk for situation in high[:SHOWN]
    ]
    assert len(first_enough) == len(going_on) - 1


def test_a_coordinator_with_nothing_due_is_told_so(client: Client, coordinator: User) -> None:
    panel = risk_panel(sign_in(client, coordinator))

    assert panel is not None
    assert panel["due"] == []
    assert "Nothing is due." in page(client)


def test_staff_are_not_shown_what_is_due(client: Client, staff: User) -> None:
    RiskSituationFactory(participants=[staff], title="Court hearing for Swallow")
    MeasureFactory(owner=staff, due_on=YESTERDAY, description="Buy a second phone.")

    panel = risk_panel(sign_in(client, staff))

    assert panel is not None
    assert "due" not in panel
    text = page(client)
    assert "Buy a second phone." in text
    assert "It has never been assessed." not in text


# --- Waiting for approval -----------------------------------------------------------------------


def test_a_decision_waiting_for_approval_is_listed_for_other_coordinators(
    client: Client, coordinator: User, other_coordinator: User, administrator: User
) -> None:
    awaiting(coordinator, "Night outreach")

    for approver in (other_coordinator, administrator):
        panel = risk_panel(sign_in(Client(), approver))
        assert panel is not None
        assert [a.situation.title for a in panel["approvals"]] == ["Night outreach"]
    text = page(sign_in(client, other_coordinator))
    assert "Decisions waiting for your approval" in text
    assert "Night outreach</a>: Go with measures, decided by Rosa" in text


def test_it_is_not_listed_for_the_coordinator_who_decided(
    client: Client, coordinator: User
) -> None:
    awaiting(coordinator, "Night outreach")

    panel = risk_panel(sign_in(client, coordinator))

    assert panel is not None
    assert panel["approvals"] == []
    text = page(client)
    assert "Hello, Rosa" in text
    assert "Decisions waiting for your approval" not in text


def test_approved_and_low_risk_decisions_are_not_waiting(
    client: Client, coordinator: User, other_coordinator: User
) -> None:
    RiskAssessmentFactory(
        decision="go",
        decided_by=coordinator,
        residual_level=Level.HIGH,
        approved_by=other_coordinator,
    )
    RiskAssessmentFactory(decision="go", decided_by=coordinator, residual_level=Level.MODERATE)

    panel = risk_panel(sign_in(client, other_coordinator))

    assert panel is not None
    assert panel["approvals"] == []


def test_staff_are_not_shown_approvals(client: Client, coordinator: User, staff: User) -> None:
    awaiting(coordinator, "Night outreach")
    MeasureFactory(owner=staff, due_on=YESTERDAY)

    panel = risk_panel(sign_in(client, staff))

    assert panel is not None
    assert "approvals" not in panel


# --- Cost ---------------------------------------------------------------------------------------


def populate(count: int, decider: User) -> None:
    """`count` situations, each due, with an overdue measure and a decision waiting."""
    for _ in range(count):
        situation = RiskSituationFactory(created_by=decider)
        RiskAssessmentFactory(situation=situation, number=1)
        RiskAssessmentFactory(
            situation=situation,
            number=2,
            decision="go",
            decided_by=decider,
            residual_level=Level.CRITICAL,
            valid_until=YESTERDAY,
        )
        MeasureFactory(situation=situation, owner=decider, due_on=YESTERDAY)


def test_the_query_count_does_not_grow_with_what_there_is_to_show(
    client: Client, coordinator: User, other_coordinator: User, django_assert_num_queries: object
) -> None:
    sign_in(client, coordinator).get(URL)  # the first request notes the session's start
    populate(2, other_coordinator)
    with CaptureQueriesContext(connection) as few:
        first = client.get(URL)
    populate(28, other_coordinator)

    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        response = client.get(URL)

    panels = {p.template: p.context for p in first.context["panels"]}
    assert [len(panels[PANEL][key]) for key in ("overdue", "due", "approvals")] == [2, 2, 2]
    panels = {p.template: p.context for p in response.context["panels"]}
    # Five of each: a query per line would add three to the count for each list.
    assert [len(panels[PANEL][key]) for key in ("overdue", "due", "approvals")] == [5, 5, 5]


def test_the_reassessment_rules_run_for_the_few_situations_shown_only(
    client: Client, coordinator: User
) -> None:
    settled = {"decision": "go", "decided_by": coordinator, "residual_level": Level.LOW}
    for _ in range(12):
        RiskAssessmentFactory(situation=RiskSituationFactory(), valid_until=YESTERDAY, **settled)
    sign_in(client, coordinator)

    with patch(
        "riskassessment.selectors._newest_incidents", wraps=selectors._newest_incidents
    ) as rules:
        panel = risk_panel(client)

    assert panel is not None
    assert len(panel["due"]) == 5 and panel["more_due"]
    assert all(why == ["The decision's validity date has passed."] for _s, why in panel["due"])
    # The five shown and one more, to know there are more: not all twelve.
    assert [len(call.args[0]) for call in rules.call_args_list] == [6]
