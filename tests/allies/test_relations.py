import html
import re

import pytest
from django.test import Client

from allies.models import Actor, Relation
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, RelationFactory

UNKNOWN_ACTOR = "/allies/00000000-0000-4000-8000-000000000000/relations/new/"
UNKNOWN_RELATION = "/allies/relations/00000000-0000-4000-8000-000000000000/delete/"


def create_url(actor: Actor) -> str:
    return f"/allies/{actor.pk}/relations/new/"


def delete_url(relation: Relation) -> str:
    return f"/allies/relations/{relation.pk}/delete/"


def test_a_coordinator_relates_two_actors_and_it_is_recorded(
    client: Client, coordinator: User
) -> None:
    ally, adversary = ActorFactory(), AdversaryFactory()

    response = sign_in(client, coordinator).post(
        create_url(ally), {"kind": "conflict", "target": str(adversary.pk)}
    )

    assert response["Location"] == f"/allies/{ally.pk}/"
    relation = Relation.objects.get()
    assert (relation.source, relation.kind, relation.target, relation.recorded_by) == (
        ally,
        "conflict",
        adversary,
        coordinator,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "allies.relation",
        str(relation.pk),
    )


def test_the_form_offers_every_other_active_actor_but_not_the_actor_itself(
    client: Client, coordinator: User
) -> None:
    ally = ActorFactory(name="Harbour Shelter")
    other = AdversaryFactory(name="Blue Door Crew")
    archived = ActorFactory(name="Old Refuge", archived=True, in_directory=False)
    sign_in(client, coordinator)

    page = client.get(create_url(ally))
    found = client.post(create_url(ally), {"kind": "alliance", "find": "target"})
    picker = re.search(r'data-picker="([^"]+)"', page.content.decode())
    assert picker is not None
    searched = client.post(html.unescape(picker.group(1)), {"name": "target", "q": ""})

    # The form lists no actor: "Find" shows them, and so does the picker's search.
    assert page.status_code == found.status_code == searched.status_code == 200
    assert b"Blue Door Crew" not in page.content and b'name="target_find"' in page.content
    for response in (found, searched):
        assert f'value="{other.pk}"'.encode() in response.content
        assert b"Blue Door Crew (Adversary)" in response.content
        assert f'value="{ally.pk}"'.encode() not in response.content
        assert f'value="{archived.pk}"'.encode() not in response.content


def test_an_actor_cannot_be_related_to_itself(client: Client, coordinator: User) -> None:
    ally = ActorFactory()

    response = sign_in(client, coordinator).post(
        create_url(ally), {"kind": "alliance", "target": str(ally.pk)}
    )

    assert response.status_code == 200
    assert b"Select a valid choice." in response.content
    assert not Relation.objects.exists()


def test_a_relation_already_on_the_map_is_refused(client: Client, coordinator: User) -> None:
    ally, other = ActorFactory(), ActorFactory()
    RelationFactory(source=ally, kind="alliance", target=other)

    response = sign_in(client, coordinator).post(
        create_url(ally), {"kind": "alliance", "target": str(other.pk)}
    )

    assert response.status_code == 200
    assert b"This relation is already on the map." in response.content
    assert Relation.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_another_kind_of_relation_between_the_same_actors_is_accepted(
    client: Client, coordinator: User
) -> None:
    ally, other = ActorFactory(), ActorFactory()
    RelationFactory(source=ally, kind="alliance", target=other)

    sign_in(client, coordinator).post(
        create_url(ally), {"kind": "dependence", "target": str(other.pk)}
    )

    assert set(Relation.objects.values_list("kind", flat=True)) == {"alliance", "dependence"}


def test_a_relation_that_reads_both_ways_is_refused_the_other_way_round(
    client: Client, coordinator: User
) -> None:
    ally, other = ActorFactory(), ActorFactory()
    RelationFactory(source=other, kind="alliance", target=ally)

    response = sign_in(client, coordinator).post(
        create_url(ally), {"kind": "alliance", "target": str(other.pk)}
    )

    assert b"This relation is already on the map." in response.content
    assert Relation.objects.count() == 1


def test_control_may_run_each_way(client: Client, coordinator: User) -> None:
    ally, other = ActorFactory(), ActorFactory()
    RelationFactory(source=other, kind="control", target=ally)

    response = sign_in(client, coordinator).post(
        create_url(ally), {"kind": "control", "target": str(other.pk)}
    )

    assert response.status_code == 302
    assert Relation.objects.filter(source=ally, kind="control", target=other).exists()


def test_missing_choices_are_explained(client: Client, coordinator: User) -> None:
    ally = ActorFactory()

    response = sign_in(client, coordinator).post(create_url(ally), {"kind": "alliance"})

    assert b"Choose the other actor." in response.content
    assert not Relation.objects.exists()


def test_a_coordinator_removes_a_relation_and_it_is_recorded(
    client: Client, coordinator: User
) -> None:
    relation = RelationFactory()
    source, code = relation.source, str(relation.pk)

    response = sign_in(client, coordinator).post(delete_url(relation))

    assert response["Location"] == f"/allies/{source.pk}/"
    assert not Relation.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "allies.relation",
        code,
    )


def test_a_relation_is_removed_by_post_only(client: Client, coordinator: User) -> None:
    relation = RelationFactory()
    sign_in(client, coordinator)

    assert client.get(delete_url(relation)).status_code == 405
    assert client.delete(delete_url(relation)).status_code == 405
    assert Relation.objects.exists()


def test_staff_may_not_add_or_remove_relations(client: Client, staff: User) -> None:
    relation = RelationFactory()
    other = ActorFactory()
    sign_in(client, staff)

    assert client.get(create_url(relation.source)).status_code == 403
    created = client.post(create_url(relation.source), {"kind": "close", "target": other.pk})
    assert created.status_code == 403
    # Relations are analysis staff never see: the relation is not there for them.
    assert client.post(delete_url(relation)).status_code == 404
    assert list(Relation.objects.all()) == [relation]


def test_unknown_actors_and_relations_are_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN_ACTOR).status_code == 404
    assert client.post(UNKNOWN_RELATION).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    relation = RelationFactory()

    assert client.get(create_url(relation.source))["Location"] == "/login/"
    assert client.post(delete_url(relation))["Location"] == "/login/"
    assert Relation.objects.exists()


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_form_refuses_other_methods(client: Client, coordinator: User, method: str) -> None:
    ally = ActorFactory()

    assert getattr(sign_in(client, coordinator), method)(create_url(ally)).status_code == 405
