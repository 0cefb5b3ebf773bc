"""Who a threat may come from is found by typing, never listed: the threats page shows each
threat's source and decrypts no other actor's name, runs as many queries however many actors
there are, and a plain "Find" (without JavaScript) shows every row as typed with the matches
under the row that searched, unsaved."""

import pytest
from django.test import Client

from riskassessment.models import Threat
from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.conftest import sign_in
from tests.factories import AdversaryFactory, RiskAssessmentFactory, RiskThreatFactory
from tests.picking import opened_on, queries_on, values
from tests.riskassessment.test_assessment_items import formset_data, threat_row, url

pytestmark = pytest.mark.django_db


def test_the_page_shows_each_threats_source_only_and_decrypts_no_other_name(
    client: Client, coordinator: User
) -> None:
    source, other = AdversaryFactory(), AdversaryFactory()
    assessment = RiskAssessmentFactory()
    RiskThreatFactory(assessment=assessment, source=source)
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, url(assessment))

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "threats-0-source") == ["", str(source.pk)]
    assert f'value="{source.pk}" checked>{source.name} (Adversary)' in page
    assert values(page, "threats-1-source") == [""]  # the row to add one
    assert other.name not in page and str(other.pk) not in page
    assert opened["allies.Actor.name"] == 1


def test_the_page_runs_as_many_queries_however_many_actors_there_are(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    RiskThreatFactory(assessment=assessment, source=AdversaryFactory())
    sign_in(client, coordinator)

    before, after = queries_on(client, url(assessment), lambda: AdversaryFactory.create_batch(30))

    assert before == after


def test_find_without_javascript_keeps_every_row_and_shows_the_matches_under_its_row(
    client: Client, coordinator: User
) -> None:
    wanted, other = AdversaryFactory(name="Red Van Men"), AdversaryFactory()
    assessment = RiskAssessmentFactory()
    threat = RiskThreatFactory(assessment=assessment)
    rows = [threat_row(threat, description="Changed, not saved"), threat_row(likelihood="")]
    sent = formset_data(
        assessment, "threats", rows, **{"threats-1-source_find": "van", "find": "threats-1-source"}
    )
    sign_in(client, coordinator)

    response = client.post(url(assessment), sent)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Changed, not saved" in page and "They photograph us at the station." in page
    assert "Some answers need a look" not in page
    assert values(page, "threats-1-source") == ["", str(wanted.pk)]
    assert values(page, "threats-0-source") == [""]
    assert str(other.pk) not in page
    assert Threat.objects.get().description == threat.description


def test_the_search_view_answers_a_row_of_a_list(client: Client, coordinator: User) -> None:
    crew = AdversaryFactory(name="Red Van Men")
    sign_in(client, coordinator)

    response = client.post("/allies/pick/", {"name": "threats-3-source", "q": "van"})

    assert response.status_code == 200
    assert f'name="threats-3-source" value="{crew.pk}"' in response.content.decode()
