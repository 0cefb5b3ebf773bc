"""The relation and sharing consent forms find an actor by typing, never list them: each page
decrypts no actor's name but those it shows for what it is about, and runs as many queries
however many actors there are. The search narrows to what the field takes."""

import pytest
from django.test import Client

from allies.forms import actor_pick_url
from allies.models import Stance
from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, PersonFactory
from tests.picking import opened_on, queries_on, values

pytestmark = pytest.mark.django_db


def relation_url(actor: object) -> str:
    return f"/allies/{actor.pk}/relations/new/"  # type: ignore[attr-defined]


def sharing_url(person: object) -> str:
    return f"/allies/sharing/{person.pk}/"  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", ["relation", "sharing"])
def test_the_form_lists_no_actor_and_decrypts_no_name_it_does_not_show(
    client: Client, coordinator: User, page: str
) -> None:
    source, other = ActorFactory(), ActorFactory()
    url = relation_url(source) if page == "relation" else sharing_url(PersonFactory())
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, url)

    assert response.status_code == 200
    text = response.content.decode()
    name = "target" if page == "relation" else "ally"
    assert values(text, name) == [] and f'name="{name}_find"' in text
    assert other.name not in text and str(other.pk) not in text
    # The relation's page names its actor; the sharing page no actor (it has no consent yet).
    assert opened["allies.Actor.name"] == (1 if page == "relation" else 0)


@pytest.mark.parametrize("page", ["relation", "sharing"])
def test_the_form_runs_as_many_queries_however_many_actors_there_are(
    client: Client, coordinator: User, page: str
) -> None:
    url = relation_url(ActorFactory()) if page == "relation" else sharing_url(PersonFactory())
    sign_in(client, coordinator)

    before, after = queries_on(client, url, lambda: ActorFactory.create_batch(30))

    assert before == after


def test_a_pickers_address_narrows_the_search_and_never_widens_it(
    client: Client, coordinator: User, staff: User
) -> None:
    ally, neutral, crew = (
        ActorFactory(),
        ActorFactory(stance="neutral", trust=None, in_directory=False),
        AdversaryFactory(),
    )
    narrowed = actor_pick_url(stances=[Stance.NEUTRAL, Stance.ADVERSARY], leaving_out=neutral.pk)

    as_coordinator = sign_in(client, coordinator).post(narrowed, {"name": "ally", "q": ""})
    as_staff = sign_in(Client(), staff).post(narrowed, {"name": "ally", "q": ""})

    assert as_coordinator.status_code == as_staff.status_code == 200
    assert values(as_coordinator.content.decode(), "ally") == [str(crew.pk)]
    # Staff find allies only, whatever the address asks.
    assert values(as_staff.content.decode(), "ally") == []
    assert str(ally.pk) not in as_coordinator.content.decode()
