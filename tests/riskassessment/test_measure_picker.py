"""A measure's ally is found by typing, never listed: editing shows the ally named, with its
"asked often" signal, and decrypts no other actor's name; the page runs as many queries however
many allies there are; a plain "Find" keeps what was typed."""

import pytest
from django.test import Client

from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.conftest import sign_in
from tests.factories import ActorFactory, EngagementFactory, MeasureFactory, RiskSituationFactory
from tests.picking import opened_on, queries_on, values
from tests.riskassessment.test_measure_create import form_data
from tests.riskassessment.test_measure_create import url as create_url
from tests.riskassessment.test_measure_edit import url

pytestmark = pytest.mark.django_db


def test_an_edit_shows_only_the_ally_named_and_decrypts_no_other_name(
    client: Client, coordinator: User
) -> None:
    named, other = ActorFactory(name="Night Clinic"), ActorFactory()
    EngagementFactory.create_batch(4, actor=named)
    measure = MeasureFactory(ally=named)
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, url(measure))

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "ally") == ["", str(named.pk)]
    assert f'value="{named.pk}" checked>Night Clinic (asked often lately)' in page
    assert other.name not in page and str(other.pk) not in page
    assert opened["allies.Actor.name"] == 1


def test_the_form_runs_as_many_queries_however_many_allies_there_are(
    client: Client, coordinator: User
) -> None:
    measure = MeasureFactory(ally=ActorFactory())
    sign_in(client, coordinator)

    before, after = queries_on(client, url(measure), lambda: ActorFactory.create_batch(30))

    assert before == after


def test_find_without_javascript_keeps_what_was_typed_and_shows_the_matches(
    client: Client, coordinator: User
) -> None:
    wanted, other = ActorFactory(name="Harbour Shelter"), ActorFactory(name="Night Clinic")
    situation = RiskSituationFactory()
    sign_in(client, coordinator)

    response = client.post(create_url(situation), form_data(ally_find="harbour", find="ally"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Walk to the bus in pairs." in page and "This field is required" not in page
    assert values(page, "ally") == ["", str(wanted.pk)]
    assert str(other.pk) not in page
    assert not situation.measures.exists()
