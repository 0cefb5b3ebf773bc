"""The trends' counts kept between requests: month revisions written by database triggers, the
counts kept under them, and the worker folding the changes."""

import importlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.forms import IncidentFilterForm
from incidents.models import Incident, MonthChange, MonthRevision, Visibility
from incidents.monthly import Kept, month_changes_fold, month_revisions
from incidents.selectors import incident_sight, incidents_visible_to
from incidents.tasks import month_changes_fold_run
from incidents.trends import Counts, Narrow, book_counts, counts_of, period_between
from safespaces.accounts.models import User
from safespaces.worker.recurring import Every, recurring_registered
from tests.conftest import sign_in
from tests.factories import IncidentFactory, PlaceFactory
from tests.incidents.test_trends import URL, months_table

MARCH, JUNE, JULY = date(2026, 3, 1), date(2025, 6, 1), date(2025, 7, 1)
COUNTED_COLUMNS = importlib.import_module("incidents.migrations.0009_month_changes").COUNTED_COLUMNS


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 15, 12, tzinfo=UTC), tick=False):
        yield


def revisions() -> dict[date, int]:
    return month_revisions([JUNE, JULY, MARCH], using="default")


def counting_queries(queries: CaptureQueriesContext) -> int:
    """How many of the queries counted incidents: the grouping query reads them as `picked`."""
    return sum("picked" in query["sql"] for query in queries.captured_queries)


def test_a_month_is_counted_once_and_again_only_when_its_incidents_change(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(occurred_on=date(2025, 6, 10), category="digital")
    sign_in(client, coordinator)

    with CaptureQueriesContext(connection) as first:
        june = months_table(client.get(URL).content.decode())["June 2025"]
    with CaptureQueriesContext(connection) as second:
        again = months_table(client.get(URL).content.decode())["June 2025"]
    # An edit of what no chart counts (its summary) writes no month change, though save()
    # writes every column, as the edit form's does.
    incident.summary = "Another summary"
    incident.save()
    with CaptureQueriesContext(connection) as unchanged:
        client.get(URL)
    incident.category = "surveillance"
    incident.save()
    with CaptureQueriesContext(connection) as changed:
        after = months_table(client.get(URL).content.decode())["June 2025"]

    # The team's and the coordinators' incidents, each counted in one query, and the named ones
    # the coordinator may see, counted for every request.
    assert counting_queries(first) == 3
    assert counting_queries(second) == counting_queries(unchanged) == 1
    assert counting_queries(changed) == 3  # and each visibility's June, only June
    assert june == again == {"Digital or data breach": "1", "All": "1"}
    assert after == {"Surveillance": "1", "All": "1"}


def test_counts_kept_for_one_user_give_another_none_of_the_first_s_own_incidents(
    client: Client, staff: User, other_staff: User
) -> None:
    IncidentFactory(occurred_on=date(2025, 6, 10), category="digital")
    mine = {"visibility": "named", "reporter": staff}
    IncidentFactory(occurred_on=date(2025, 6, 11), category="digital", **mine)

    mine = months_table(sign_in(client, staff).get(URL).content.decode())["June 2025"]
    theirs = months_table(sign_in(client, other_staff).get(URL).content.decode())["June 2025"]

    assert mine["All"] == "2"
    assert theirs["All"] == "1"


def test_every_write_of_an_incident_changes_its_month_s_revision(db: None) -> None:
    # Counted from here: tests that commit leave month changes behind them.
    start = revisions()

    def grown() -> dict[date, int]:
        return {month: revision - start[month] for month, revision in revisions().items()}

    incident = IncidentFactory(occurred_on=date(2025, 6, 10))
    added = grown()
    incident.occurred_on = date(2025, 7, 2)  # moved to July: both months change
    incident.save()
    moved = grown()
    Incident.objects.filter(pk=incident.pk).update(severity=5)  # no save(), no signal
    updated = grown()
    Incident.objects.bulk_create(
        [IncidentFactory.build(occurred_on=date(2026, 3, 1), reporter=incident.reporter)]
    )
    bulked = grown()
    incident.delete()
    deleted = grown()

    assert added == {JUNE: 1, JULY: 0, MARCH: 0}
    assert moved == {JUNE: 2, JULY: 1, MARCH: 0}
    assert updated == {JUNE: 2, JULY: 2, MARCH: 0}
    assert bulked == {JUNE: 2, JULY: 2, MARCH: 1}
    assert deleted == {JUNE: 2, JULY: 3, MARCH: 1}


def test_folding_the_changes_keeps_every_revision(db: None) -> None:
    month_changes_fold()  # what tests that commit left behind
    start = revisions()
    IncidentFactory.create_batch(3, occurred_on=date(2025, 6, 10))
    IncidentFactory(occurred_on=date(2025, 7, 10))
    before = revisions()

    folded = month_changes_fold_run.call()
    after_fold = revisions()
    IncidentFactory(occurred_on=date(2025, 6, 20))

    assert folded == {"folded": 4}
    assert MonthChange.objects.count() == 1
    assert (
        after_fold == before == {JUNE: start[JUNE] + 3, JULY: start[JULY] + 1, MARCH: start[MARCH]}
    )
    assert dict(
        MonthRevision.objects.filter(month__in=[JUNE, JULY]).values_list("month", "folded")
    ) == {
        JUNE: before[JUNE],
        JULY: before[JULY],
    }
    assert revisions()[JUNE] == before[JUNE] + 1
    assert month_changes_fold() == 1


def test_the_worker_folds_the_changes_every_hour() -> None:
    entry = recurring_registered()["incidents.tasks.month_changes_fold_run"]

    assert entry.schedule == Every(timedelta(hours=1))


def test_the_triggers_watch_every_column_the_trends_count_or_filter_on() -> None:
    filtered = [name for name in IncidentFilterForm.base_fields if name not in ("since", "until")]
    watched = {
        "occurred_on",  # the month, and the filter's dates
        "visibility",  # whose counts they are
        *(Incident._meta.get_field(name).column for name in filtered),
        # What the charts count: category, place, source, severity, time to review.
        *("category", "place_id", "source_id", "severity", "created_at", "first_reviewed_at"),
    }

    assert watched <= set(COUNTED_COLUMNS)


@pytest.mark.parametrize("persona", ["staff", "coordinator", "administrator"])
def test_a_sight_is_exactly_what_the_user_may_see_in_two_parts(
    persona: str, request: pytest.FixtureRequest, other_staff: User
) -> None:
    user = request.getfixturevalue(persona)
    place = PlaceFactory()
    for visibility in Visibility.values:
        for reporter in (user, other_staff):
            IncidentFactory(visibility=visibility, reporter=reporter, place=place)
    shared = IncidentFactory(visibility="named", reporter=other_staff)
    shared.shared_with.set([user])

    sight = incident_sight(user)
    whole = set(Incident.objects.filter(visibility__in=sight.whole).values_list("pk", flat=True))
    rest = set(sight.rest.values_list("pk", flat=True)) if sight.rest is not None else set()

    assert whole | rest == set(incidents_visible_to(user).values_list("pk", flat=True))
    assert not whole & rest
    assert len(whole | rest) == {"staff": 5, "coordinator": 6, "administrator": 7}[persona]


PERIODS = {
    "default": (None, None),
    "partial months": (date(2025, 6, 15), date(2026, 2, 10)),
    "longer than kept": (date(2020, 1, 1), date(2026, 3, 15)),
}


@pytest.mark.parametrize("persona", ["staff", "coordinator", "administrator"])
@pytest.mark.parametrize("dates", PERIODS.values(), ids=PERIODS.keys())
def test_kept_counts_are_the_counts_of_what_the_user_sees_before_and_after_changes(
    persona: str,
    dates: tuple[date | None, date | None],
    request: pytest.FixtureRequest,
    other_staff: User,
) -> None:
    user = request.getfixturevalue(persona)
    period = period_between(*dates, today=date(2026, 3, 15))
    surveillance = IncidentFilterForm({"category": "surveillance"}, user=user)

    def both_ways(narrow: Narrow) -> tuple[Counts, Counts]:
        kept = book_counts(incident_sight(user), narrow, period)
        now = counts_of(period.filter(narrow(incidents_visible_to(user))))
        return kept, now

    written: list[Incident] = []
    for n, visibility in enumerate(Visibility.values * 4):
        written.append(
            IncidentFactory(
                visibility=visibility,
                reporter=(user, other_staff)[n % 2],
                occurred_on=date(2025, 6 + n % 7, 1 + n),
                category=("surveillance", "digital")[n % 3 % 2],
                place=PlaceFactory() if n % 4 else None,
            )
        )
    written[-1].shared_with.set([user])
    before = (
        both_ways(lambda incidents: incidents),
        both_ways(partial(surveillance.filter, dates=False)),
    )
    written[0].occurred_on = date(2025, 12, 31)  # to another month
    written[1].visibility = Visibility.NAMED  # out of sight for some
    written[2].category = "surveillance"
    for incident in written[:3]:
        incident.save()
    written[3].delete()
    after = (
        both_ways(lambda incidents: incidents),
        both_ways(partial(surveillance.filter, dates=False)),
    )

    for kept, now in (*before, *after):
        assert kept == now
    assert before[0][0] != after[0][0]  # the changes changed the counts
    assert sum(before[0][0].by_severity.values()) > 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_emptying_the_table_changes_every_month_known(db: None) -> None:
    IncidentFactory(occurred_on=date(2025, 6, 10))
    month_changes_fold()
    before = revisions()

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the factory's checks, due at commit
        cursor.execute("TRUNCATE incidents_incident CASCADE")

    # Every month with changes on record changes once more (other tests may have left some);
    # a month never written stays at nothing.
    assert before[JUNE] > 0
    assert revisions() == {month: n + 1 if n else 0 for month, n in before.items()}


def test_kept_values_go_least_recently_used_first_and_only_at_their_revision() -> None:
    kept: Kept[str] = Kept(size=2)
    kept.put("a", 1, "A")
    kept.put("b", 1, "B")
    assert kept.get("a", 1) == "A"  # now "b" is the least recently used
    kept.put("c", 1, "C")

    assert kept.get("b", 1) is None
    assert kept.get("a", 1) == "A"
    assert kept.get("a", 2) is None
    assert kept.get("c", 1) == "C"
