"""The patterns page: incidents linked by an assessment, or by place and source close in time."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from incidents.patterns import (
    SHOWN,
    WINDOW,
    assessment_links,
    pattern_candidates,
    patterns_in,
)
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    AdversaryFactory,
    IncidentFactory,
    PlaceFactory,
    ThreatAssessmentFactory,
)

URL = "/incidents/patterns/"
DAY = date(2026, 3, 1)


def shown_patterns(page: str) -> list[list[str]]:
    """The references of each pattern on the page, in the order shown."""
    sections = re.findall(r'<section class="pattern".*?</section>', page, re.DOTALL)
    return [re.findall(r'<a href="/incidents/[0-9a-f-]{36}/">([\w-]+)</a>', s) for s in sections]


def references(*incidents: Incident) -> list[str]:
    return [incident.reference for incident in incidents]


def test_incidents_at_one_place_from_one_source_within_the_window_form_a_pattern(
    client: Client, coordinator: User
) -> None:
    shelter, crew = PlaceFactory(name="North shelter"), AdversaryFactory(name="Blue Door Crew")
    first = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    second = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=60))
    # 60 days after the second but 120 after the first: outside the first one's window.
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=120))

    page = sign_in(client, coordinator).get(URL).content.decode()

    assert shown_patterns(page) == [references(second, first)]
    assert "Same place, North shelter, and same suspected source, Blue Door Crew" in page
    assert "2 incidents, 1 Mar 2026 to 30 Apr 2026" in page


def test_a_long_run_of_incidents_lists_its_newest_and_links_to_the_rest(
    client: Client, coordinator: User
) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    run = [
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=5 * n))
        for n in range(SHOWN + 3)
    ]

    page = sign_in(client, coordinator).get(URL).content.decode()

    newest_first = references(*reversed(run))
    assert shown_patterns(page) == [newest_first[:SHOWN]]
    assert "And 3 earlier incidents in this pattern." in page
    timeline = (
        f"/incidents/?place={shelter.pk}&amp;source={crew.pk}&amp;since=2026-03-01&amp;until="
        f"{run[-1].occurred_on.isoformat()}"
    )
    assert f'<a href="{timeline}">see them in the timeline</a>' in page


@pytest.mark.django_db
def test_a_chain_over_18_months_is_cut_into_patterns_no_longer_than_the_window() -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    chain = [
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=20 * n))
        for n in range(28)  # every 20 days: never a gap as long as the window
    ]
    assert (chain[-1].occurred_on - chain[0].occurred_on).days > 500

    found = patterns_in(Incident.objects.all(), window=timedelta(days=30))

    assert len(found) > 5
    assert all(p.latest - p.earliest <= timedelta(days=30) for p in found)
    # Every incident belongs to one pattern at most, and the patterns follow one another.
    members = [m.id for p in found for m in p.members]
    assert len(members) == len(set(members))
    assert found[-1].earliest == chain[0].occurred_on


def test_each_incident_says_why_it_is_in_its_pattern(client: Client, coordinator: User) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    first = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=20))
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    assessed = IncidentFactory(occurred_on=DAY - timedelta(days=300))
    ThreatAssessmentFactory(incident=assessed, linked_incidents=[first])

    response = sign_in(client, coordinator).get(URL)
    page = response.content.decode()

    assert response.status_code == 200
    assert len(shown_patterns(page)) == 2  # the place and source's, and the assessment's
    assert "same place and suspected source: the first of them" in page
    assert f"same place and suspected source as {first.reference}, 20 days later" in page
    assert f"same place and suspected source as {first.reference}, the same day" in page
    assert f"its threat assessment links {first.reference}" in page
    assert f"linked in the threat assessment of {assessed.reference}" in page


def test_the_page_shows_what_happened_and_records_it(client: Client, coordinator: User) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    long = "Two men waited at the gate of the shelter and asked the night staff for her by name "
    long *= 3
    shown = [
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY, summary="Car at the gate"),
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY, summary=long[:200]),
    ]
    apart = IncidentFactory(summary="Call to the office phone")

    response = sign_in(client, coordinator).get(URL)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Car at the gate" in page
    cut = "Two men waited at the gate of the shelter and asked the night staff for her by\u2026"
    assert cut in page
    assert long[:200] not in page
    assert "Call to the office phone" not in page  # in no pattern: neither shown nor opened
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST, actor=coordinator)
    assert event.object_type == "incidents.incident"
    assert {f"incidents.incident:{i.pk}" for i in shown} <= set(event.shown)
    assert f"incidents.incident:{apart.pk}" not in event.shown


def test_incidents_farther_apart_than_the_window_stay_apart(db: None) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=91))
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=91 + 91))

    assert patterns_in(Incident.objects.all()) == []


def test_only_incidents_that_can_be_in_a_pattern_are_read_from_the_database(db: None) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    # Alone at their place and source: more than the window from any other.
    alone = [
        IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=200 * n))
        for n in range(3)
    ]
    later = DAY + timedelta(days=1000)
    pair = [
        IncidentFactory(place=shelter, source=crew, occurred_on=later),
        IncidentFactory(place=shelter, source=crew, occurred_on=later + WINDOW),
    ]
    linked = ThreatAssessmentFactory(incident=IncidentFactory(place=None, source=None))
    linked.linked_incidents.add(alone[0])

    everything = Incident.objects.all()
    links = assessment_links(everything)
    read = {row[0] for row in pattern_candidates(everything, WINDOW, links)}

    assert read == {pair[0].pk, pair[1].pk, linked.incident.pk, alone[0].pk}
    # Exactly the window apart is still within it.
    assert [references(*reversed(pair))] in [
        [[m.reference for m in p.members]] for p in patterns_in(Incident.objects.all())
    ]


def test_incidents_of_the_same_day_are_candidates_whatever_their_order(db: None) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    same_day = [IncidentFactory(place=shelter, source=crew, occurred_on=DAY) for _ in range(3)]
    far = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + 3 * WINDOW)

    read = {row[0] for row in pattern_candidates(Incident.objects.all(), WINDOW, links=[])}

    assert read == {incident.pk for incident in same_day}
    assert far.pk not in read


def test_the_same_place_or_the_same_source_alone_is_no_pattern(db: None) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    IncidentFactory(place=shelter, source=AdversaryFactory(), occurred_on=DAY)
    IncidentFactory(place=PlaceFactory(), source=crew, occurred_on=DAY)
    IncidentFactory(place=shelter, source=None, occurred_on=DAY)
    IncidentFactory(place=None, source=None, occurred_on=DAY)

    assert patterns_in(Incident.objects.all()) == []


def test_a_threat_assessment_links_incidents_whatever_their_place_and_date(
    client: Client, coordinator: User
) -> None:
    assessed = IncidentFactory(occurred_on=DAY)
    earlier = IncidentFactory(occurred_on=DAY - timedelta(days=400))
    other = IncidentFactory(occurred_on=DAY - timedelta(days=30))
    ThreatAssessmentFactory(incident=assessed, linked_incidents=[earlier, other])

    page = sign_in(client, coordinator).get(URL).content.decode()

    assert shown_patterns(page) == [references(assessed, other, earlier)]
    assert "Linked in a threat assessment" in page


def test_an_assessment_link_makes_a_pattern_of_its_own_that_stretches_no_window(
    client: Client, coordinator: User
) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    a = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    b = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=10))
    c = IncidentFactory(place=shelter, source=crew, occurred_on=DAY - timedelta(days=300))
    d = IncidentFactory(place=shelter, source=crew, occurred_on=DAY - timedelta(days=290))
    ThreatAssessmentFactory(incident=c, linked_incidents=[a])
    older_pair = [
        IncidentFactory(occurred_on=DAY - timedelta(days=500)),
        IncidentFactory(occurred_on=DAY - timedelta(days=501)),
    ]
    ThreatAssessmentFactory(incident=older_pair[0], linked_incidents=[older_pair[1]])
    IncidentFactory(occurred_on=DAY)  # linked to nothing

    page = sign_in(client, coordinator).get(URL).content.decode()

    # a is close to b and linked to c: it shows in both patterns, and c's window stays apart.
    assert shown_patterns(page) == [
        references(b, a),
        references(a, c),
        references(d, c),
        references(*older_pair),
    ]


def test_a_pattern_holds_only_incidents_the_user_may_see(
    client: Client, coordinator: User, staff: User
) -> None:
    shelter, crew = PlaceFactory(), AdversaryFactory()
    seen = IncidentFactory(place=shelter, source=crew, occurred_on=DAY)
    hidden = IncidentFactory(
        place=shelter, source=crew, occurred_on=DAY + timedelta(days=60), visibility="named"
    )
    also_seen = IncidentFactory(place=shelter, source=crew, occurred_on=DAY + timedelta(days=120))
    ThreatAssessmentFactory(incident=hidden, linked_incidents=[IncidentFactory()])

    response = sign_in(client, coordinator).get(URL)
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Patterns</h1>" in page
    # The hidden incident would have chained the other two; without it, they are 120 days apart.
    assert hidden.reference not in page
    assert shown_patterns(page) == []
    everyone = patterns_in(Incident.objects.all())  # as an administrator would see them
    assert hidden.id in {member.id for member in everyone[0].members}
    assert seen.reference not in page and also_seen.reference not in page


def test_posting_is_not_allowed(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).post(URL).status_code == 405


def test_the_page_explains_what_a_pattern_is(client: Client, coordinator: User) -> None:
    page = sign_in(client, coordinator).get(URL).content.decode()

    assert "Step 2 of assessing a threat" in page
    assert "within 90 days of the first of them" in page
    assert "No patterns among the incidents you may see." in page


def add_incidents(count: int, reporter: User) -> list[Incident]:
    """`count` incidents in threes at a place and source, saved in one go, and two assessments."""
    places = [PlaceFactory() for _ in range(4)]
    sources = [AdversaryFactory() for _ in range(3)]
    incidents = [
        IncidentFactory.build(
            reporter=reporter,
            occurred_on=DAY - timedelta(days=(n // 3) * 200 + n % 3),
            place=places[n // 3 % len(places)],
            source=sources[n // 3 % len(sources)],
            category=["surveillance", "digital", ""][n % 3],
        )
        for n in range(count)
    ]
    Incident.objects.bulk_create(incidents)
    for assessed, linked in zip(incidents[:4:2], incidents[-4::2], strict=True):
        ThreatAssessmentFactory(incident=assessed, linked_incidents=[linked])
    return incidents


def test_the_page_makes_as_many_queries_for_1000_incidents_as_for_10(
    client: Client, coordinator: User, django_assert_num_queries: object
) -> None:
    sign_in(client, coordinator)
    add_incidents(10, coordinator)
    client.get(URL)  # the first request of a session does some housekeeping
    with CaptureQueriesContext(connection) as few:
        # Three at each place and source, and two assessments' links of their own.
        assert len(shown_patterns(client.get(URL).content.decode())) == 5

    add_incidents(990, coordinator)
    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        page = client.get(URL).content.decode()

    assert len(shown_patterns(page)) == 25  # a full page
    assert "Page 1 of" in page


@pytest.mark.parametrize("page_number", ["2", "999"])
def test_later_pages_list_older_patterns(
    client: Client, coordinator: User, page_number: str
) -> None:
    add_incidents(30 * 3, coordinator)
    found = patterns_in(Incident.objects.all())

    page = sign_in(client, coordinator).get(URL, {"page": page_number}).content.decode()

    assert len(found) > 25
    assert shown_patterns(page) == [references(*p.shown) for p in found[25:]]
