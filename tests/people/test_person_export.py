import csv
import io

from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import IdentityGrantFactory, PersonFactory


def rows(response: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))  # type: ignore[attr-defined]


def test_without_a_grant_the_export_holds_no_identity(client: Client, administrator: User) -> None:
    PersonFactory(alias="Heron", legal_name="Secret Legal")

    response = sign_in(client, administrator).get("/people/export.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert rows(response)[1][:2] == ["Heron", "member"]
    assert "Secret Legal" not in response.content.decode()


def test_a_grant_adds_the_identity_of_the_people_it_covers(
    client: Client, administrator: User
) -> None:
    covered = PersonFactory(alias="Heron", legal_name="Covered Legal")
    PersonFactory(alias="Kestrel", legal_name="Uncovered Legal")
    IdentityGrantFactory(user=administrator, person=covered)

    response = sign_in(client, administrator).get("/people/export.csv")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Covered Legal" in body and "Uncovered Legal" not in body


def test_formula_like_cells_are_defused(client: Client, administrator: User) -> None:
    PersonFactory(alias="=HYPERLINK(1)")

    response = sign_in(client, administrator).get("/people/export.csv")

    assert rows(response)[1][0] == "'=HYPERLINK(1)"


def test_every_exported_person_gets_an_export_event(client: Client, administrator: User) -> None:
    people = PersonFactory.create_batch(3)

    sign_in(client, administrator).get("/people/export.csv")

    exported = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).values_list(
            "object_id", flat=True
        )
    )
    assert exported == {str(p.pk) for p in people}


def test_the_file_starts_with_a_byte_order_mark_so_spreadsheets_read_it_as_utf8(
    client: Client, administrator: User
) -> None:
    PersonFactory(alias="Héron")

    response = sign_in(client, administrator).get("/people/export.csv")

    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    assert rows(response)[1][0] == "Héron"
