import pytest
from django.test import Client

from allies.models import Capability
from allies.selectors import LOCAL_CAPABILITIES, capability_gaps
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import ActorFactory, PlaceFactory

EVERY_LOCAL = [c.value for c in LOCAL_CAPABILITIES]
EVERY_CAPABILITY = [c.value for c in Capability]


def gaps_by_place() -> dict[object, list[str]]:
    return {gap.place and gap.place.pk: [c.value for c in gap.missing] for gap in capability_gaps()}


@pytest.mark.django_db
def test_an_area_without_a_trusted_shelter_ally_is_a_finding() -> None:
    outreach = PlaceFactory(kind="outreach_site", name="Station")
    office = PlaceFactory(kind="office", name="Office")
    ActorFactory(capabilities=EVERY_LOCAL, areas=[office], trust=4)
    ActorFactory(capabilities=[c for c in EVERY_LOCAL if c != "shelter"], areas=[outreach])

    gaps = gaps_by_place()

    assert gaps[outreach.pk] == ["shelter"]
    assert office.pk not in gaps


@pytest.mark.django_db
def test_only_trusted_active_allies_close_a_gap() -> None:
    area = PlaceFactory(kind="area")
    ActorFactory(capabilities=["shelter"], areas=[area], trust=2)  # not trusted enough
    ActorFactory(capabilities=["shelter"], areas=[area], trust=None)  # never rated
    ActorFactory(capabilities=["shelter"], areas=[area], archived=True, in_directory=False)
    ActorFactory(
        capabilities=["shelter"], areas=[area], stance="neutral", trust=None, in_directory=False
    )

    assert "shelter" in gaps_by_place()[area.pk]

    ActorFactory(capabilities=["shelter"], areas=[area], trust=3)

    assert "shelter" not in gaps_by_place()[area.pk]


@pytest.mark.django_db
def test_an_ally_serving_everywhere_closes_the_gap_in_every_area() -> None:
    areas = [PlaceFactory(kind="area"), PlaceFactory(kind="outreach_site")]
    ActorFactory(capabilities=EVERY_LOCAL, serves_everywhere=True)

    gaps = gaps_by_place()

    assert all(area.pk not in gaps for area in areas)


@pytest.mark.django_db
def test_capabilities_that_work_from_anywhere_are_checked_across_the_network() -> None:
    ActorFactory(capabilities=["funding"], areas=[PlaceFactory(kind="area")])

    network = gaps_by_place()[None]

    assert "funding" not in network
    assert "digital_security" in network
    assert not set(network) & set(EVERY_LOCAL)


@pytest.mark.django_db
def test_only_active_areas_and_outreach_sites_are_checked_area_by_area() -> None:
    sites = [PlaceFactory(kind=kind) for kind in ("online_channel", "office", "shelter", "venue")]
    archived = PlaceFactory(kind="area", archived=True)
    areas = [PlaceFactory(kind="area"), PlaceFactory(kind="outreach_site")]

    gaps = gaps_by_place()

    assert all(place.pk not in gaps for place in [*sites, archived])
    assert all(gaps[area.pk] == EVERY_LOCAL for area in areas)


@pytest.mark.django_db
def test_with_no_area_on_record_local_capabilities_are_checked_across_the_network() -> None:
    PlaceFactory(kind="office")
    ActorFactory(capabilities=["shelter"], serves_everywhere=True)

    network = gaps_by_place()

    assert list(network) == [None]
    assert "emergency_response" in network[None] and "shelter" not in network[None]


@pytest.mark.django_db
def test_no_gaps_at_all_when_the_network_covers_everything() -> None:
    PlaceFactory(kind="area")
    ActorFactory(capabilities=EVERY_CAPABILITY, serves_everywhere=True)

    assert capability_gaps() == []


@pytest.mark.django_db
def test_the_finder_costs_the_same_queries_for_more_actors_and_places(
    django_assert_num_queries: object,
) -> None:
    for _ in range(10):
        ActorFactory(capabilities=["shelter", "medical"], areas=[PlaceFactory(kind="area")])

    with django_assert_num_queries(4):  # type: ignore[operator]
        capability_gaps()


def test_a_coordinator_sees_findings_with_a_way_to_act_on_each(
    client: Client, coordinator: User
) -> None:
    outreach = PlaceFactory(kind="outreach_site", name="Station outreach")

    page = sign_in(client, coordinator).get("/allies/gaps/").content.decode()

    assert "Station outreach" in page
    assert "No trusted ally for shelter." in page
    assert f"/allies/new/?capability=shelter&amp;area={outreach.pk}" in page
