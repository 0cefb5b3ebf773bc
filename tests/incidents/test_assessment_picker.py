"""The threat assessment's "who, as far as we can tell" searches instead of listing every
actor: the page shows the actor named and decrypts no other name; a plain "Find" (without
JavaScript) brings the form back with everything typed and the matches; saving keeps the
actor named."""

import pytest
from django.test import Client

from allies.models import Actor
from incidents.models import Incident, ThreatAssessment
from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.browsing import form_as_sent
from tests.conftest import sign_in
from tests.factories import AdversaryFactory, IncidentFactory, ThreatAssessmentFactory
from tests.incidents.test_assessment import form_data, url
from tests.picking import opened_on, queries_on, values

pytestmark = pytest.mark.django_db


def test_the_form_shows_only_the_actor_named_and_decrypts_no_other_name(
    client: Client, coordinator: User
) -> None:
    named, other = AdversaryFactory(), AdversaryFactory()
    assessment = ThreatAssessmentFactory(actor=named)
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, url(assessment.incident))

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "actor") == ["", str(named.pk)]
    assert f'value="{named.pk}" checked>{named.name} (Adversary)' in page
    assert other.name not in page and str(other.pk) not in page
    assert opened["allies.Actor.name"] == 1
    assert 'name="actor_find"' in page and 'name="find" value="actor"' in page


def test_the_form_runs_as_many_queries_however_many_actors_there_are(
    client: Client, coordinator: User
) -> None:
    assessment = ThreatAssessmentFactory(actor=AdversaryFactory())
    sign_in(client, coordinator)

    before, after = queries_on(
        client, url(assessment.incident), lambda: AdversaryFactory.create_batch(30)
    )

    assert before == after


def test_find_without_javascript_keeps_what_was_typed_and_shows_the_matches(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    crews = AdversaryFactory.create_batch(3)
    sign_in(client, coordinator)

    response = client.post(
        url(incident), form_data(objective="To scare her", actor_find=crews[1].name, find="actor")
    )

    assert response.status_code == 200
    assert not ThreatAssessment.objects.exists()
    page = response.content.decode()
    assert "To scare her" in page and "Some answers need a look" not in page
    assert values(page, "actor") == ["", str(crews[1].pk)]
    assert str(crews[0].pk) not in page


def test_saving_an_edit_keeps_the_actor_named_even_archived(
    client: Client, coordinator: User
) -> None:
    named = AdversaryFactory()
    assessment = ThreatAssessmentFactory(actor=named, confidence="high", pattern="")
    Actor.objects.filter(pk=named.pk).update(archived=True)
    sign_in(client, coordinator)
    sent = form_as_sent(client.get(url(assessment.incident)).content)

    response = client.post(url(assessment.incident), {**sent, "pattern": ["Every Friday."]})

    assert response.status_code == 302
    saved = ThreatAssessment.objects.get(pk=assessment.pk)
    assert (saved.pattern, saved.actor_id) == ("Every Friday.", named.pk)
    assert Incident.objects.filter(pk=assessment.incident_id).exists()
