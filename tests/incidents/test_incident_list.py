import re
from collections import Counter
from datetime import date
from html import unescape
from unittest.mock import patch

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from safespaces.accounts.models import User
from safespaces.crypto.cipher import open_binary
from tests.conftest import queries_run, sign_in
from tests.factories import ActorFactory, AdversaryFactory, IncidentFactory, PlaceFactory

URL = "/incidents/"


def shown(response: object) -> list[str]:
    """The summaries on the page, in order."""
    return [incident.summary for incident in response.context["page"]]  # type: ignore[attr-defined]


def link(response: object, rel: str) -> str | None:
    """The address of the page's "Older" (next) or "Newer" (prev) link, if it has one."""
    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', response.content.decode())  # type: ignore[attr-defined]
    return URL + unescape(found.group(1)) if found else None


def test_incidents_are_listed_newest_first_under_month_headings(
    client: Client, staff: User
) -> None:
    IncidentFactory(summary="Early October", occurred_on=date(2026, 10, 2))
    IncidentFactory(summary="Mid November", occurred_on=date(2026, 11, 14))
    IncidentFactory(summary="Late October", occurred_on=date(2026, 10, 28))
    IncidentFactory(summary="Early November", occurred_on=date(2026, 11, 1))

    response = sign_in(client, staff).get(URL)

    page = response.content.decode()
    order = ["November 2026", "Mid November", "Early November"]
    order += ["October 2026", "Late October", "Early October"]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert page.count('<h2 class="month">') == 2


def test_the_same_day_lists_the_latest_logged_first(client: Client, staff: User) -> None:
    IncidentFactory(summary="Logged first", occurred_on=date(2026, 11, 2))
    IncidentFactory(summary="Logged second", occurred_on=date(2026, 11, 2))

    response = sign_in(client, staff).get(URL)

    assert shown(response) == ["Logged second", "Logged first"]


def test_staff_see_only_the_incidents_they_may_see(
    client: Client, staff: User, named_staff: User
) -> None:
    IncidentFactory(summary="For the team")
    IncidentFactory(summary="Mine, for coordinators", reporter=staff, visibility="coordinators")
    IncidentFactory(summary="Someone else's, for coordinators", visibility="coordinators")
    IncidentFactory(summary="Named, not me", visibility="named")
    named_me = IncidentFactory(summary="Named, me", visibility="named", reporter=named_staff)
    named_me.shared_with.set([staff])

    response = sign_in(client, staff).get(URL)

    assert response.status_code == 200
    assert sorted(shown(response)) == ["For the team", "Mine, for coordinators", "Named, me"]
    assert b"Someone else" not in response.content
    assert b"Named, not me" not in response.content
    assert b"3 incidents you may see." in response.content


def test_filters_narrow_the_list(client: Client, coordinator: User) -> None:
    shelter, office = PlaceFactory(), PlaceFactory(kind="office")
    crew, shop = AdversaryFactory(), ActorFactory(stance="neutral", trust=None, in_directory=False)
    IncidentFactory(
        summary="Match",
        kind="incident",
        category="surveillance",
        severity=4,
        status="monitoring",
        place=shelter,
        source=crew,
        occurred_on=date(2026, 6, 15),
    )
    IncidentFactory(summary="Other kind", kind="threat", place=shelter, source=crew)
    IncidentFactory(summary="Other place", kind="incident", place=office, source=shop)
    sign_in(client, coordinator)

    cases = {
        "kind": "incident",
        "category": "surveillance",
        "severity": "4",
        "status": "monitoring",
        "place": str(shelter.pk),
        "source": str(crew.pk),
    }
    for name, value in cases.items():
        response = client.get(URL, {name: value})
        assert "Match" in shown(response), name
        assert response.context["form"].is_filtered
    everything = client.get(URL, cases)
    assert shown(everything) == ["Match"]
    assert shown(client.get(URL, {"place": str(office.pk)})) == ["Other place"]
    assert shown(client.get(URL, {"kind": "near_miss"})) == []


def test_a_reference_finds_its_incident_written_as_people_write_it(
    client: Client, staff: User
) -> None:
    IncidentFactory(summary="Found", reference="INC-7KQ2XM")
    IncidentFactory(summary="Found by its number", former_reference="INC-2025-0012")
    IncidentFactory(summary="Another")
    sign_in(client, staff)

    for written in ["INC-7KQ2XM", " inc-7kq2xm", "7KQ2XM"]:
        assert shown(client.get(URL, {"reference": written})) == ["Found"], written
    assert shown(client.get(URL, {"reference": "INC-2025-0012"})) == ["Found by its number"]
    assert shown(client.get(URL, {"reference": "INC-ZZZZZZ"})) == []


def test_a_reference_does_not_find_an_incident_the_user_may_not_see(
    client: Client, staff: User
) -> None:
    IncidentFactory(reference="INC-7KQ2XM", visibility="coordinators")
    IncidentFactory(summary="Visible")

    response = sign_in(client, staff).get(URL, {"reference": "INC-7KQ2XM"})

    assert response.status_code == 200
    assert shown(response) == []
    assert b"No incident matches these filters." in response.content


def test_a_date_range_includes_both_ends(client: Client, staff: User) -> None:
    for day in [1, 10, 20, 30]:
        IncidentFactory(summary=f"June {day}", occurred_on=date(2026, 6, day))

    response = sign_in(client, staff).get(URL, {"since": "2026-06-10", "until": "2026-06-20"})

    assert shown(response) == ["June 20", "June 10"]
    assert shown(client.get(URL, {"since": "2026-06-20"})) == ["June 30", "June 20"]
    assert shown(client.get(URL, {"until": "2026-06-01"})) == ["June 1"]


def test_nothing_matching_says_so(client: Client, staff: User) -> None:
    IncidentFactory(severity=2)

    response = sign_in(client, staff).get(URL, {"severity": "5"})

    assert b"No incident matches these filters." in response.content


def test_an_empty_book_says_so(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get(URL)

    assert b"No incidents logged yet." in response.content


def test_the_list_is_paginated_by_twenty_five(client: Client, staff: User) -> None:
    IncidentFactory.create_batch(30)
    sign_in(client, staff)

    first = client.get(URL)
    older = link(first, "next")
    assert older is not None
    second = client.get(older)

    assert len(first.context["page"]) == 25
    assert len(second.context["page"]) == 5
    ids = [i.pk for i in first.context["page"]] + [i.pk for i in second.context["page"]]
    assert len(set(ids)) == 30
    assert link(first, "prev") is None
    assert link(second, "next") is None


def test_filters_are_kept_across_pages(client: Client, staff: User) -> None:
    IncidentFactory.create_batch(27, severity=5)
    IncidentFactory.create_batch(3, severity=1)

    first = sign_in(client, staff).get(URL, {"severity": "5"})
    older = link(first, "next")
    assert older is not None
    response = client.get(older)

    assert len(response.context["page"]) == 2
    assert all(incident.severity == 5 for incident in response.context["page"])
    assert response.context["page"].count == 27


def test_pages_go_older_and_newer_by_the_incident_at_their_edge_without_offset(
    client: Client, staff: User
) -> None:
    for day in range(1, 29):
        IncidentFactory.create_batch(2, occurred_on=date(2026, 2, day))  # 56, two a day
    sign_in(client, staff)
    first = client.get(URL)
    second = client.get(link(first, "next") or "")
    older = link(second, "next") or ""

    with queries_run() as deep:
        third = client.get(older)
    newer = client.get(link(third, "prev") or "")

    assert third.status_code == 200
    assert len(third.context["page"]) == 6
    oldest_first = list(Incident.objects.order_by("occurred_on", "created_at", "id"))
    assert [i.pk for i in third.context["page"]] == [i.pk for i in oldest_first[:6]][::-1]
    assert [i.pk for i in newer.context["page"]] == [i.pk for i in second.context["page"]]
    # The address names the incident at the edge by its code: no page number, no date.
    edge = second.context["page"].incidents[-1]
    assert older == f"{URL}?older={edge.pk}"
    assert "page=" not in (link(second, "prev") or "") and "page=" not in older
    assert not any("OFFSET" in sql.upper() for sql in deep)
    assert any("LIMIT 26" in sql.upper() for sql in deep)


def test_newer_from_the_second_page_is_the_first_page_whole(client: Client, staff: User) -> None:
    IncidentFactory.create_batch(30)
    sign_in(client, staff)
    first = client.get(URL)
    second = client.get(link(first, "next") or "")

    back = client.get(link(second, "prev") or "")

    assert [i.pk for i in back.context["page"]] == [i.pk for i in first.context["page"]]
    assert link(back, "prev") is None
    assert link(back, "next") == link(first, "next")


def test_an_edge_the_user_may_not_see_gives_the_first_page(client: Client, staff: User) -> None:
    hidden = IncidentFactory(visibility="coordinators", occurred_on=date(2026, 1, 1))
    IncidentFactory(summary="Newest", occurred_on=date(2026, 3, 1))
    IncidentFactory(summary="Older than the hidden one", occurred_on=date(2025, 12, 1))
    sign_in(client, staff)

    for edge in [str(hidden.pk), "not-a-code"]:
        response = client.get(URL, {"older": edge})
        assert response.status_code == 200
        # Not the page after the hidden incident, which would place it among the others.
        assert shown(response) == ["Newest", "Older than the hidden one"], edge


def test_the_list_decrypts_only_the_summaries_and_places_it_shows(
    client: Client, staff: User
) -> None:
    place = PlaceFactory()
    IncidentFactory.create_batch(30, place=place)
    sign_in(client, staff).get("/")  # the first request of a session does some housekeeping
    opened: Counter[str] = Counter()

    def counting(token: bytes, *, associated_data: bytes) -> bytes:
        # The model and the field, then the row's key in 16 bytes (which may hold any byte).
        model, field, _pk = associated_data.split(b"\x1f", 2)
        opened[f"{model.decode()}.{field.decode()}"] += 1
        return open_binary(token, associated_data=associated_data)

    with patch("safespaces.crypto.fields.open_binary", counting):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.context["page"]) == 25
    incidents = {field: n for field, n in opened.items() if field.startswith("incidents.")}
    assert incidents == {"incidents.Incident.summary": 25}
    # The place of each row shown, and at most the one place the filter may offer.
    assert 25 <= opened["places.Place.name"] <= 26
    assert set(opened) == {"incidents.Incident.summary", "places.Place.name"}


def test_the_query_count_does_not_grow_with_the_number_of_incidents(
    client: Client, staff: User, django_assert_num_queries: object
) -> None:
    place = PlaceFactory()

    def log(start: int, count: int) -> None:
        Incident.objects.bulk_create(
            [
                IncidentFactory.build(reporter=staff, place=place, reference=f"INC-2000-{i:04d}")
                for i in range(start, start + count)
            ]
        )

    sign_in(client, staff).get(URL)  # the first request notes the session's start
    log(0, 10)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    log(10, 990)

    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        response = client.get(URL)

    assert response.context["page"].count == 1000
    assert len(response.context["page"]) == 25


def test_a_post_is_refused(client: Client, staff: User) -> None:
    assert sign_in(client, staff).post(URL).status_code == 405


def test_an_address_naming_both_directions_goes_older(client: Client, staff: User) -> None:
    for day in range(1, 29):
        IncidentFactory.create_batch(2, occurred_on=date(2026, 2, day))
    sign_in(client, staff)
    second = client.get(link(client.get(URL), "next") or "")
    edge = second.context["page"].incidents[-1]
    newest = Incident.objects.order_by("-occurred_on", "-created_at", "-id").first()
    assert newest is not None

    both = client.get(URL, {"older": str(edge.pk), "newer": str(newest.pk)})

    assert both.status_code == 200
    oldest_first = list(Incident.objects.order_by("occurred_on", "created_at", "id"))
    assert [i.pk for i in both.context["page"]] == [i.pk for i in oldest_first[:6]][::-1]


def test_beyond_what_is_counted_the_list_says_more_than(client: Client, staff: User) -> None:
    IncidentFactory.create_batch(4)
    sign_in(client, staff)

    with patch("incidents.timeline.COUNTED_UP_TO", 3):
        many = client.get(URL)
    with patch("incidents.timeline.COUNTED_UP_TO", 4):
        exactly = client.get(URL)

    assert many.status_code == exactly.status_code == 200
    assert b"More than 3 incidents you may see." in many.content
    assert b"4 incidents you may see." in exactly.content
    assert b"More than" not in exactly.content
    assert len(shown(many)) == len(shown(exactly)) == 4
