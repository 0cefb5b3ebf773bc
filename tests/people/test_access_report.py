import csv
import io

import time_machine
from django.test import Client

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from tests.conftest import sign_in
from tests.factories import PersonFactory, UserFactory


def test_it_lists_every_view_reveal_and_change_of_the_record(
    client: Client, administrator: User, staff: User
) -> None:
    person = PersonFactory()
    sign_in(Client(), staff).get(f"/people/{person.pk}/")
    sign_in(Client(), administrator).post(f"/people/{person.pk}/reveal/", follow=True)
    audit_record(
        action=AuditEvent.Action.VIEW, actor=staff, target=PersonFactory()
    )  # another person

    response = sign_in(client, administrator).get(f"/people/{person.pk}/access/")

    rows = [(e.actor, e.action) for e in response.context["page"]]
    assert rows == [
        (administrator, AuditEvent.Action.REVEAL_IDENTITY),
        (staff, AuditEvent.Action.VIEW),
    ]


def test_it_filters_by_date(client: Client, administrator: User, staff: User) -> None:
    person = PersonFactory()
    for day in ("2026-10-01", "2026-10-15", "2026-11-01"):
        with time_machine.travel(f"{day} 12:00", tick=False):
            audit_record(action=AuditEvent.Action.VIEW, actor=staff, target=person)

    response = sign_in(client, administrator).get(
        f"/people/{person.pk}/access/", {"date_from": "2026-10-10", "date_to": "2026-10-31"}
    )

    assert [e.at.date().isoformat() for e in response.context["page"]] == ["2026-10-15"]


def test_it_downloads_as_csv_with_formula_cells_defused(
    client: Client, administrator: User
) -> None:
    person = PersonFactory()
    audit_record(action=AuditEvent.Action.VIEW, actor=UserFactory(username="=cmd"), target=person)

    response = sign_in(client, administrator).get(f"/people/{person.pk}/access/", {"format": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="access-report.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["when", "who", "action", "fields"]
    assert rows[1][1:3] == ["'=cmd", "Viewed"]
