"""The relation and sharing consent forms find an actor by typing, the actor form its areas
and a contact its person: none lists them. Each page decrypts no name but those it shows, and
runs as many queries however many rows there are. The search narrows to what the field takes."""

from collections.abc import Callable

import pytest
from django.test import Client

from allies.forms import actor_pick_url
from allies.models import Actor, Stance
from safespaces.accounts.models import User
from safespaces.pickers import forget_cached_names
from tests.allies.test_actor_create import form_data
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    EngagementFactory,
    PersonFactory,
    PlaceFactory,
)
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


# --- The actor form's areas and a contact's person ----------------------------------------------


def test_an_actor_edit_shows_only_its_areas_and_decrypts_no_other_place(
    client: Client, coordinator: User
) -> None:
    served, other = PlaceFactory(kind="area"), PlaceFactory(kind="area")
    actor = ActorFactory(areas=[served])
    sign_in(client, coordinator)
    forget_cached_names()

    response, opened = opened_on(client, f"/allies/{actor.pk}/edit/")

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "areas") == [str(served.pk)]
    assert f'value="{served.pk}" checked>{served.name} (Area)' in page
    assert other.name not in page and str(other.pk) not in page
    assert opened["places.Place.name"] == 1


def test_a_contact_edit_shows_only_its_person_and_lists_nobody_else(
    client: Client, coordinator: User
) -> None:
    person, other = PersonFactory(alias="Heron"), PersonFactory(alias="Swallow")
    engagement = EngagementFactory(person=person)
    sign_in(client, coordinator)

    response = client.get(f"/allies/engagements/{engagement.pk}/edit/")

    assert response.status_code == 200
    page = response.content.decode()
    assert values(page, "person") == ["", str(person.pk)]
    assert "Swallow" not in page and str(other.pk) not in page
    assert 'name="person_find"' in page


@pytest.mark.parametrize("page", ["actor", "contact"])
def test_the_actor_and_contact_forms_run_as_many_queries_however_many_rows_there_are(
    client: Client, coordinator: User, page: str
) -> None:
    if page == "actor":
        url = f"/allies/{ActorFactory(areas=[PlaceFactory()]).pk}/edit/"
        grow: Callable[[], object] = lambda: PlaceFactory.create_batch(30)  # noqa: E731
    else:
        url = f"/allies/engagements/{EngagementFactory(person=PersonFactory()).pk}/edit/"
        grow = lambda: PersonFactory.create_batch(30)  # noqa: E731
    sign_in(client, coordinator)

    before, after = queries_on(client, url, grow)

    assert before == after


def test_find_without_javascript_keeps_the_actor_as_typed_and_shows_the_places(
    client: Client, coordinator: User
) -> None:
    wanted, other = PlaceFactory(name="Northtown", kind="area"), PlaceFactory(kind="area")
    sign_in(client, coordinator)

    response = client.post("/allies/new/", {**form_data(), "areas_find": "north", "find": "areas"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Will take people at night if called first." in page
    assert "Give the actor a name" not in page
    assert values(page, "areas") == [str(wanted.pk)]
    assert str(other.pk) not in page
    assert not Actor.objects.exists()
