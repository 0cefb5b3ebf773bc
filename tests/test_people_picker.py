"""The people pickers offer each person once, however many records name them: OR-ing the
record's own relation in joined its table, and the incident form once offered 58 options for
3 people."""

import re

from django.test import Client

from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import IncidentFactory, PersonFactory, RiskSituationFactory


def options(page: str, name: str) -> list[str]:
    """The values offered by a checkbox list or a select named `name`."""
    checkboxes = re.findall(rf'name="{name}" value="([^"]+)"', page)
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    return checkboxes + (re.findall(r'<option value="([^"]+)"', select.group(0)) if select else [])


def test_the_incident_form_offers_each_of_3_people_once_across_100_incidents(
    client: Client, coordinator: User
) -> None:
    people = [PersonFactory(alias=alias) for alias in ("Heron", "Kestrel", "Swift")]
    incidents = IncidentFactory.create_batch(100)
    for incident in incidents:
        incident.affected_people.set(people)

    page = sign_in(client, coordinator).get(f"/incidents/{incidents[0].pk}/edit/")

    assert page.status_code == 200
    offered = options(page.content.decode(), "affected_people")
    assert sorted(offered) == sorted(str(person.pk) for person in people)


def test_a_situation_form_offers_each_person_once(client: Client, coordinator: User) -> None:
    heron = PersonFactory(alias="Heron")
    situations = [RiskSituationFactory(people=[heron]) for _ in range(5)]

    page = sign_in(client, coordinator).get(f"/risks/{situations[0].pk}/edit/")

    assert page.status_code == 200
    assert options(page.content.decode(), "people") == [str(heron.pk)]
