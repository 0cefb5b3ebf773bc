"""The trends page: counts of the incidents the user may see, drawn in SVG with tables beneath."""

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from unittest.mock import patch

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from allies.models import Actor
from incidents.models import Category, Incident, Visibility
from incidents.selectors import Sight
from incidents.trends import (
    TOP,
    by_place,
    counts_of,
    kept_counts_forget,
    period_between,
    time_to_review,
    trends_of,
)
from safespaces.accounts.models import User
from safespaces.crypto.cipher import open_binary
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, IncidentFactory, PlaceFactory

URL = "/incidents/trends/"
TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def today() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 3, 15, 12, tzinfo=UTC), tick=False):
        yield


class Tables(HTMLParser):
    """The page's tables by caption: each row as the text of its cells."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.caption: str | None = None
        self.current: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.in_caption = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current, self.caption = [], ""
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.current is not None:
            self.current.append([])
        elif tag in ("th", "td") and self.current is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.in_caption = False
        elif tag in ("th", "td") and self.cell is not None and self.current is not None:
            self.current[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "table" and self.current is not None and self.caption is not None:
            self.tables[" ".join(self.caption.split())] = self.current
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.in_caption and self.caption is not None:
            self.caption += data
        elif self.cell is not None:
            self.cell.append(data)


def table(page: str, caption: str) -> dict[str, list[str]]:
    """The rows of the table with that caption, by their first cell."""
    return {row[0]: row[1:] for row in Tables(page).tables[caption] if row}


def months_table(page: str) -> dict[str, dict[str, str]]:
    """The monthly table as {month: {column heading: count}}."""
    rows = Tables(page).tables["Incidents per month, by category: the figures"]
    headings = rows[0][1:]
    return {row[0]: dict(zip(headings, row[1:], strict=True)) for row in rows[1:]}


def figures(page: str, caption: str) -> dict[str, int]:
    return {
        label: int(cells[0]) for label, cells in table(page, caption).items() if cells[0].isdigit()
    }


def test_it_counts_incidents_per_month_by_category_with_empty_months_as_zero(
    client: Client, staff: User
) -> None:
    IncidentFactory(occurred_on=date(2026, 3, 2), category="surveillance")
    IncidentFactory(occurred_on=date(2026, 3, 9), category="surveillance")
    IncidentFactory(occurred_on=date(2026, 3, 10), category="digital")
    IncidentFactory(occurred_on=date(2026, 1, 31), category="")
    IncidentFactory(occurred_on=date(2024, 3, 31), category="digital")  # before the 24 months

    page = sign_in(client, staff).get(URL).content.decode()

    months = months_table(page)
    assert len(months) == 25  # 24 months and the totals
    assert list(months)[0] == "April 2024" and list(months)[23] == "March 2026"
    # The categories counted, in the order of the key: the model's, then the uncategorised.
    assert months["March 2026"] == {
        "Surveillance": "2",
        "Digital or data breach": "1",
        "Not categorised yet": "0",
        "All": "3",
    }
    assert months["February 2026"]["All"] == "0"
    assert months["January 2026"]["Not categorised yet"] == "1"
    assert months["All months"] == {
        "Surveillance": "2",
        "Digital or data breach": "1",
        "Not categorised yet": "1",
        "All": "4",
    }
    assert (
        "The last 24 months, April 2024 – March 2026, up to today, 15 March 2026: 4 incidents."
        in page
    )


def test_it_counts_by_place_severity_and_source(client: Client, coordinator: User) -> None:
    office, van = PlaceFactory(name="Harbour office"), PlaceFactory(name="Outreach van")
    crew, ally = AdversaryFactory(name="Blue Door Crew"), ActorFactory(name="Harbour Shelter")
    IncidentFactory.create_batch(3, place=office, source=crew, severity=4)
    IncidentFactory(place=van, source=ally, severity=1)
    IncidentFactory(severity=5)

    page = sign_in(client, coordinator).get(URL).content.decode()

    assert figures(page, "Incidents by place: the figures") == {
        "Harbour office": 3,
        "Outreach van": 1,
        "No place given": 1,
        "All": 5,
    }
    assert figures(page, "Incidents by suspected source: the figures") == {
        "Blue Door Crew": 3,
        "Harbour Shelter": 1,
        "Source not known": 1,
        "All": 5,
    }
    severities = figures(page, "How serious: the figures")
    assert severities["4 - Serious: someone was hurt or is in danger"] == 3
    assert severities["2 - Low: unsettling, no lasting harm"] == 0
    assert list(severities.values()) == [1, 0, 0, 3, 1, 5]


def test_staff_see_no_adversary_named_and_the_chart_says_what_it_leaves_out(
    client: Client, staff: User
) -> None:
    crew, ally = AdversaryFactory(name="Blue Door Crew"), ActorFactory(name="Harbour Shelter")
    IncidentFactory.create_batch(2, source=crew)
    IncidentFactory(source=ally)

    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Blue Door Crew" not in page
    assert figures(page, "Incidents by suspected source: the figures") == {
        "Harbour Shelter": 1,
        "A source only coordinators see": 2,
        "All": 3,
    }
    assert "You see allies only." in page


def test_only_the_first_places_are_named_and_the_rest_counted_together(db: None) -> None:
    places = [PlaceFactory(name=f"Site {n}") for n in range(4)]
    for n, place in enumerate(places):
        IncidentFactory.create_batch(n + 1, place=place)

    tallies = by_place(counts_of(Incident.objects.all()), top=2)

    assert [(str(t.label), t.count) for t in tallies] == [
        ("Site 3", 4),
        ("Site 2", 3),
        ("Other places", 3),
    ]


def test_the_tables_decrypt_only_the_names_of_the_places_and_sources_they_show(
    db: None,
) -> None:
    pairs = [(PlaceFactory(), AdversaryFactory()) for _n in range(TOP + 12)]
    for n, (place, source) in enumerate(pairs):
        IncidentFactory.create_batch(1 + n % 3, place=place, source=source)
    opened: Counter[bytes] = Counter()

    def counting(token: bytes, *, associated_data: bytes) -> bytes:
        opened[associated_data.split(b"\x1f")[0]] += 1
        return open_binary(token, associated_data=associated_data)

    with patch("safespaces.crypto.fields.open_binary", counting):
        found = trends_of(
            Sight(list(Visibility.values), rest=None),
            narrow=lambda incidents: incidents,
            period=period_between(None, None, today=TODAY),
            actors=Actor.objects.all(),
            rtl=False,
        )

    assert opened == {b"places.Place": TOP, b"allies.Actor": TOP}
    assert [t.leftover for t in found.places] == [False] * TOP + [True]
    assert [t.leftover for t in found.sources.tallies] == [False] * TOP + [True]


def test_time_to_review_is_bucketed_from_logging_to_the_first_look(db: None) -> None:
    logged = datetime(2026, 3, 1, 9, tzinfo=UTC)
    waits = [timedelta(hours=2), timedelta(hours=24), timedelta(days=2), timedelta(days=5)]
    waits += [timedelta(days=7, hours=1), None]
    for wait in waits:
        incident = IncidentFactory()
        reviewed = logged + wait if wait is not None else None
        Incident.objects.filter(pk=incident.pk).update(
            created_at=logged, first_reviewed_at=reviewed
        )

    tallies = time_to_review(counts_of(Incident.objects.all()))

    assert {t.key: t.count for t in tallies} == {
        "day": 2,  # two hours, and exactly a day
        "days": 1,
        "week": 1,
        "longer": 1,
        "pending": 1,
    }


def test_an_incident_for_coordinators_is_counted_for_them_and_its_reporter_only(
    client: Client, staff: User, other_staff: User, coordinator: User
) -> None:
    IncidentFactory(category="surveillance")
    IncidentFactory(category="surveillance", visibility="coordinators", reporter=staff)
    IncidentFactory(category="surveillance", visibility="named", reporter=staff)

    def counted(user: User) -> str:
        page = sign_in(client, user).get(URL).content.decode()
        return months_table(page)["All months"]["Surveillance"]

    assert counted(other_staff) == "1"
    assert counted(coordinator) == "2"
    assert counted(staff) == "3"


def test_the_date_range_sets_the_months_and_what_is_counted(
    client: Client, coordinator: User
) -> None:
    IncidentFactory(occurred_on=date(2025, 5, 31), category="digital")
    IncidentFactory(occurred_on=date(2025, 6, 1), category="digital")
    IncidentFactory(occurred_on=date(2025, 8, 20), category="surveillance")
    IncidentFactory(occurred_on=date(2025, 9, 1), category="digital")

    page = sign_in(client, coordinator).get(f"{URL}?since=2025-06-01&until=2025-08-31")
    content = page.content.decode()

    months = months_table(content)
    assert list(months) == ["June 2025", "July 2025", "August 2025", "All months"]
    assert months["All months"]["All"] == "2"
    assert "June 2025 – August 2025: 2 incidents." in content
    assert figures(content, "How serious: the figures")["All"] == 2


def test_a_range_that_ends_before_it_starts_counts_nothing(
    client: Client, coordinator: User
) -> None:
    IncidentFactory(occurred_on=date(2025, 6, 1))

    page = sign_in(client, coordinator).get(f"{URL}?since=2025-08-01&until=2025-06-30")

    assert page.status_code == 200
    assert months_table(page.content.decode())["All months"]["All"] == "0"


def test_the_other_filters_narrow_every_chart(client: Client, coordinator: User) -> None:
    IncidentFactory(category="digital", kind="threat")
    IncidentFactory(category="digital", kind="near_miss")

    page = sign_in(client, coordinator).get(f"{URL}?kind=near_miss").content.decode()

    assert months_table(page)["All months"]["All"] == "1"
    assert figures(page, "Time to review: the figures")["All"] == 1


def period_label(page: str) -> str:
    """The sentence that says what the page counts, without the note that filters are on."""
    found = re.search(r'<p class="trends-period">(.*?)</p>', page, re.DOTALL)
    assert found, "no period label"
    return " ".join(found.group(1).split()).removesuffix(" Filters are on.")


@pytest.mark.parametrize(
    ("query", "label"),
    [
        (
            "",
            "The last 24 months, April 2024 – March 2026, up to today, 15 March 2026: 1 incident.",
        ),
        ("since=2025-06-01&until=2025-08-31", "June 2025 – August 2025: 1 incident."),
        (
            "since=2025-06-01",
            "From 1 June 2025 to 15 March 2026, in the months June 2025 – March 2026: 1 incident.",
        ),
        ("until=2025-08-31", "September 2023 – August 2025: 1 incident."),
        (
            "since=2025-06-15&until=2025-08-20",
            "From 15 June 2025 to 20 August 2025, in the months June 2025 – August 2025: "
            "1 incident.",
        ),
        ("since=2025-07-01&until=2025-07-31", "July 2025: 1 incident."),
    ],
)
def test_the_period_is_named_by_exactly_the_months_of_the_chart_and_table(
    client: Client, coordinator: User, query: str, label: str
) -> None:
    IncidentFactory(occurred_on=date(2025, 7, 20))

    response = sign_in(client, coordinator).get(f"{URL}?{query}")

    assert response.status_code == 200
    page = response.content.decode()
    assert period_label(page) == label
    months = [month for month in months_table(page) if month != "All months"]
    first, last = months[0], months[-1]
    assert (first if first == last else f"{first} – {last}") in label


@pytest.mark.parametrize(
    ("today", "first"),
    [
        (date(2026, 12, 3), date(2025, 1, 1)),
        (date(2026, 3, 15), date(2024, 4, 1)),
        (date(2026, 1, 31), date(2024, 2, 1)),
        (date(2028, 2, 29), date(2026, 3, 1)),
    ],
)
def test_the_last_24_months_are_the_24_ending_with_the_current_month(
    today: date, first: date
) -> None:
    period = period_between(None, None, today=today)

    assert period.first == first and period.last == today
    assert len(period.months) == 24
    assert period.months[-1] == today.replace(day=1)


def test_either_end_of_the_range_alone_fills_in_the_other() -> None:
    assert period_between(date(2025, 1, 10), None, today=TODAY).last == TODAY
    assert period_between(None, date(2025, 6, 30), today=TODAY).first == date(2023, 7, 1)
    assert not period_between(None, None, today=TODAY).chosen


def test_each_chart_is_plain_svg_with_a_title_a_description_and_a_table(
    client: Client, coordinator: User
) -> None:
    IncidentFactory(place=PlaceFactory(), source=ActorFactory())

    response = sign_in(client, coordinator).get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    svgs = re.findall(r'<svg [^>]*role="img"[^>]*>.*?</svg>', page, re.DOTALL)
    assert len(svgs) == 5
    for svg in svgs:
        labelled = re.search(r'aria-labelledby="([\w-]+)" aria-describedby="([\w-]+)"', svg)
        assert labelled, svg[:200]
        assert f'<title id="{labelled.group(1)}">' in svg
        assert f'<desc id="{labelled.group(2)}">' in svg
    assert page.count("<figcaption>") == 5
    assert len(Tables(page).tables) == 5
    assert '<th scope="col">' in page and '<th scope="row">' in page
    assert "style=" not in page and "<script>" not in page


def test_right_to_left_the_months_run_from_the_right(client: Client, coordinator: User) -> None:
    IncidentFactory(occurred_on=date(2024, 4, 2))
    IncidentFactory(occurred_on=date(2026, 3, 2))

    def first_and_last_bar_x(page: str) -> tuple[float, float]:
        xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)%"[^>]*class="chart-segment', page)]
        return xs[0], xs[-1]

    sign_in(client, coordinator)
    ltr = client.get(URL).content.decode()
    with override_settings(LANGUAGES=[("ar", "Arabic"), ("en", "English")]):
        rtl = client.get(URL, headers={"accept-language": "ar"}).content.decode()
    translation.activate("en")

    assert 'dir="rtl"' in rtl
    oldest, newest = first_and_last_bar_x(ltr)
    assert oldest < newest
    oldest, newest = first_and_last_bar_x(rtl)
    assert oldest > newest


def legend(page: str) -> list[str]:
    """The monthly chart's key, as its entries read."""
    found = re.search(r'<ul class="chart-legend"[^>]*>(.*?)</ul>', page, re.DOTALL)
    assert found, "no key"
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in found.group(1).split("</li>")
        if item.strip()
    ]


def test_the_chart_stacks_the_five_largest_categories_and_the_rest_as_other(
    client: Client, coordinator: User
) -> None:
    # Every category and the uncategorised, each with a different number of incidents.
    codes = ["", *Category]
    for count, code in enumerate(codes, start=1):
        for _ in range(count):
            IncidentFactory(occurred_on=date(2026, 2, 1), category=code)

    page = sign_in(client, coordinator).get(URL).content.decode()

    # The largest first: "other" (12) is the most used but always goes under "Other".
    assert legend(page) == [
        "Internal conflict",
        "Recruitment attempt",
        "Contact by former exploiters",
        "Defamation",
        "Legal or administrative harassment",
        "Other",
    ]
    segments = re.findall(r'class="chart-segment (chart-fill-\d)"', page)
    assert len(set(segments)) == 6
    # The table keeps every category on its own.
    assert len(months_table(page)["All months"]) == 13  # twelve and "All"
    assert months_table(page)["February 2026"]["All"] == str(sum(range(1, 13)))


def test_every_series_is_drawn_with_its_own_colour_and_pattern(
    client: Client, coordinator: User
) -> None:
    for n, code in enumerate(["surveillance", "digital", "defamation", "recruitment", "", "other"]):
        IncidentFactory.create_batch(n + 1, occurred_on=date(2026, 1, 5), category=code)

    page = sign_in(client, coordinator).get(URL).content.decode()

    swatches = re.findall(
        r'<rect width="24" height="24" class="(chart-fill-\d)"></rect>'
        r'(?:<rect width="24" height="24" fill="url\(#([\w-]+)\)"></rect>)?',
        page,
    )
    assert len(swatches) == 6
    assert len({fill for fill, _pattern in swatches}) == 6
    assert len({pattern for _fill, pattern in swatches}) == 6  # one plain, five patterns
    for _fill, pattern in swatches:
        assert not pattern or f'<pattern id="{pattern}"' in page


def test_posting_is_not_allowed(client: Client, staff: User) -> None:
    assert sign_in(client, staff).post(URL).status_code == 405


def add_incidents(count: int, reporter: User, *, places: int, sources: int) -> None:
    """`count` incidents spread over new places and sources, saved in one go."""
    new_places = [PlaceFactory() for _ in range(places)]
    new_sources = [ActorFactory() for _ in range(sources)] + [AdversaryFactory()]
    incidents = [
        IncidentFactory.build(
            reporter=reporter,
            occurred_on=TODAY - timedelta(days=n % 700),
            category=["surveillance", "digital", "defamation", ""][n % 4],
            severity=n % 5 + 1,
            place=new_places[n % places],
            source=new_sources[n % len(new_sources)],
            visibility=["team", "coordinators"][n % 2],
        )
        for n in range(count)
    ]
    Incident.objects.bulk_create(incidents)


@pytest.mark.parametrize("persona", ["staff", "coordinator"])
def test_the_page_makes_as_many_queries_for_1000_incidents_as_for_10(
    persona: str,
    request: pytest.FixtureRequest,
    client: Client,
    django_assert_num_queries: object,
) -> None:
    user = request.getfixturevalue(persona)
    sign_in(client, user)
    add_incidents(10, user, places=3, sources=2)
    client.get(URL)  # the first request of a session does some housekeeping
    kept_counts_forget()  # every month counted, as at a server's start
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL).status_code == 200

    # More places and sources than the charts name one by one: the names shown go up to TOP.
    # Nearly every month changes, so its counts are counted again.
    add_incidents(990, user, places=12, sources=12)
    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        page = client.get(URL).content.decode()

    assert months_table(page)["All months"]["All"] == "1000"


@pytest.mark.parametrize(
    "query",
    [
        "since=0001-01-01",
        "until=0001-01-01",
        "since=9999-12-31",
        "until=9999-12-31",
        "since=0001-01-01&until=9999-12-31",
    ],
)
def test_a_date_out_of_bounds_is_a_form_error_and_the_last_two_years_show(
    client: Client, coordinator: User, query: str
) -> None:
    IncidentFactory(occurred_on=date(2026, 3, 1))

    page = sign_in(client, coordinator).get(f"{URL}?{query}")

    content = page.content.decode()
    assert page.status_code == 200
    assert "Choose a date between 1 January 1900 and 31 December 2027." in content
    assert list(months_table(content))[0] == "April 2024"
    assert months_table(content)["All months"]["All"] == "1"
    assert period_label(content).startswith("The last 24 months, April 2024 – March 2026")


def test_a_period_longer_than_ten_years_is_a_form_error(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    too_long = client.get(f"{URL}?since=2015-01-01&until=2025-01-31")
    ten_years = client.get(f"{URL}?since=2015-01-01&until=2024-12-31")

    assert too_long.status_code == 200
    assert "Choose a period of at most 10 years." in too_long.content.decode()
    assert "Choose a period" not in ten_years.content.decode()
    assert len(months_table(ten_years.content.decode())) == 121  # and "All months"
