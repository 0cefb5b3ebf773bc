from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import PersonFactory


def test_staff_see_aliases_and_relations(client: Client, staff: User) -> None:
    PersonFactory(alias="Heron", relation="member")

    response = sign_in(client, staff).get("/people/")

    assert response.status_code == 200
    assert b"Heron" in response.content
    assert b"Survivor member" in response.content
    assert b"Legal Name" not in response.content


def test_search_by_alias_and_filter_by_relation(client: Client, staff: User) -> None:
    PersonFactory(alias="Heron", relation="member")
    PersonFactory(alias="Heather", relation="family")
    PersonFactory(alias="Kestrel", relation="member")
    sign_in(client, staff)

    by_alias = client.get("/people/", {"alias": "he"})
    by_both = client.get("/people/", {"alias": "he", "relation": "family"})

    assert [p.alias for p in by_alias.context["page"]] == ["Heather", "Heron"]
    assert [p.alias for p in by_both.context["page"]] == ["Heather"]


def test_archived_people_are_hidden_from_staff(client: Client, staff: User) -> None:
    from django.utils import timezone

    PersonFactory(alias="Gone", archived_at=timezone.now())

    response = sign_in(client, staff).get("/people/", {"archived": "on"})

    assert response.status_code == 200
    assert b"<h1>People</h1>" in response.content
    assert b"0 people" in response.content
    assert b"Gone" not in response.content


def test_the_list_decrypts_nothing_and_its_query_count_does_not_grow(
    client: Client, staff: User
) -> None:
    sign_in(client, staff).get("/people/")  # the first request notes the session's start
    PersonFactory.create_batch(3)
    with CaptureQueriesContext(connection) as few:
        client.get("/people/")
    PersonFactory.create_batch(40)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/people/")

    assert response.status_code == 200
    assert len(many) == len(few)
    assert response.context["page"].paginator.count == 43
    query_text = " ".join(q["sql"] for q in many.captured_queries)
    assert "legal_name" not in query_text


def test_a_post_is_refused(client: Client, staff: User) -> None:
    assert sign_in(client, staff).post("/people/").status_code == 405
