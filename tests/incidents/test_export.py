import csv
import io
from datetime import time

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.export import COLUMNS, FREE_TEXT
from incidents.models import Incident
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.places.models import Place
from safespaces.spreadsheets import safe_cell
from tests.conftest import sign_in
from tests.crypto.support import raw_value, write_raw
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    IncidentFactory,
    PersonFactory,
    PlaceFactory,
    UserFactory,
)

URL = "/incidents/export/"


def download(client: Client, query: str = "") -> list[dict[str, str]]:
    response = client.get(URL + query)
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def header(client: Client) -> list[str]:
    text = b"".join(client.get(URL).streaming_content).decode("utf-8-sig")
    return next(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_gets_a_leading_quote(start: str) -> None:
    assert safe_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("value", ["Bus stop", "a=b", " =1", "", 3, None])
def test_other_cells_are_left_as_they_are(value: object) -> None:
    assert safe_cell(value) == ("" if value is None else str(value))


def test_staff_get_the_incidents_without_what_people_wrote(client: Client, staff: User) -> None:
    shelter = PlaceFactory(name="Harbour House")
    ally = ActorFactory(name="Legal Aid Desk")
    incident = IncidentFactory(
        kind="near_miss",
        category="surveillance",
        occurred_time=time(21, 30),
        approximate=True,
        place=shelter,
        source=ally,
        severity=4,
        summary="Photographed at the door",
        affects_organization=True,
    )
    incident.affected_people.set([PersonFactory(alias="Swift"), PersonFactory(alias="Finch")])

    rows = download(sign_in(client, staff))

    assert header(client) == COLUMNS
    assert rows == [
        {
            "reference": incident.reference,
            "kind": "Near miss, or not sure",
            "category": "Surveillance",
            "date": incident.occurred_on.isoformat(),
            "time": "21:30",
            "approximate": "yes",
            "place": "Harbour House",
            "severity": "4",
            "status": "New",
            "visibility": "Everyone in the team",
            "source": "Legal Aid Desk",
            "affected_people": "Finch; Swift",
            "affects_organization": "yes",
            "created_at": timezone.localtime(incident.created_at).strftime("%Y-%m-%d %H:%M"),
            "first_reviewed_at": "",
        }
    ]


def test_coordinators_get_what_people_wrote_too(client: Client, coordinator: User) -> None:
    IncidentFactory(summary="Followed after outreach", lessons="Leave in pairs.")

    rows = download(sign_in(client, coordinator))

    assert header(client) == COLUMNS + FREE_TEXT
    assert rows[0]["summary"] == "Followed after outreach"
    assert rows[0]["lessons"] == "Leave in pairs."
    assert rows[0]["location"] == "Bus stop on the ring road"


def test_a_source_is_named_only_to_those_who_may_see_it(
    client: Client, staff: User, coordinator: User
) -> None:
    IncidentFactory(source=AdversaryFactory(name="Blue Door Crew"))

    staff_rows = download(sign_in(client, staff))
    coordinator_rows = download(sign_in(Client(), coordinator))

    assert staff_rows[0]["source"] == ""
    assert coordinator_rows[0]["source"] == "Blue Door Crew"


def test_cells_that_look_like_formulas_are_escaped(client: Client, coordinator: User) -> None:
    IncidentFactory(
        summary='=HYPERLINK("http://evil.example","Open")',
        description="+1 555 0100",
        lessons="@SUM(A1)",
        location="-2 floors down",
        evidence="\tTabbed",
    )

    row = download(sign_in(client, coordinator))[0]

    assert row["summary"] == '\'=HYPERLINK("http://evil.example","Open")'
    assert row["description"] == "'+1 555 0100"
    assert row["lessons"] == "'@SUM(A1)"
    assert row["location"] == "'-2 floors down"
    assert row["evidence"] == "'\tTabbed"


def test_only_incidents_the_user_may_see_are_exported(
    client: Client, staff: User, other_staff: User
) -> None:
    mine = IncidentFactory(visibility="named", reporter=staff)
    team = IncidentFactory()
    IncidentFactory(visibility="named", reporter=other_staff)
    IncidentFactory(visibility="coordinators", reporter=other_staff)

    rows = download(sign_in(client, staff))

    assert {row["reference"] for row in rows} == {mine.reference, team.reference}


def test_the_list_filters_apply(client: Client, staff: User) -> None:
    near_miss = IncidentFactory(kind="near_miss", severity=2)
    IncidentFactory(kind="threat", severity=2)
    IncidentFactory(kind="near_miss", severity=5)

    rows = download(sign_in(client, staff), "?kind=near_miss&severity=2")

    assert [row["reference"] for row in rows] == [near_miss.reference]


def test_a_filter_that_does_not_apply_exports_nothing(client: Client, staff: User) -> None:
    IncidentFactory()

    response = sign_in(client, staff).get(URL + "?since=not-a-date&kind=threat")

    assert response.status_code == 302
    assert response["Location"] == "/incidents/?since=not-a-date&kind=threat"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_value_that_cannot_be_decrypted_stops_the_export_before_any_byte(
    client: Client, coordinator: User
) -> None:
    readable, broken = IncidentFactory(summary="Readable"), IncidentFactory()
    # Sealed for another row: it does not open here, as after a bad restore or tampering.
    write_raw(Incident, "summary", broken.pk, raw_value(Incident, "summary", readable.pk))

    response = sign_in(client, coordinator).get(URL + "?kind=threat")

    assert not isinstance(response, StreamingHttpResponse)
    assert response.status_code == 302
    assert response["Location"] == "/incidents/?kind=threat"
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Nothing was exported: some of the records could not be decrypted. Tell an administrator."
    ]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_place_name_that_cannot_be_decrypted_stops_a_staff_export_too(
    client: Client, staff: User
) -> None:
    shelter, office = PlaceFactory(), PlaceFactory()
    IncidentFactory(place=shelter)
    write_raw(Place, "name", shelter.pk, raw_value(Place, "name", office.pk))

    response = sign_in(client, staff).get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/incidents/"


def test_the_export_is_a_download_nobody_caches_and_is_recorded(
    client: Client, staff: User
) -> None:
    IncidentFactory()

    response = sign_in(client, staff).get(URL)

    today = timezone.localdate()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="incidents-{today:%Y-%m-%d}.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    # Recorded before a byte of the file is read.
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.actor, event.object_type, event.fields) == (
        staff,
        "incidents.incident",
        sorted(COLUMNS),
    )


def test_the_export_names_each_incident_person_and_place_it_carries(
    client: Client, staff: User
) -> None:
    place, person = PlaceFactory(), PersonFactory()
    incident = IncidentFactory(reporter=staff, place=place)
    incident.affected_people.set([person])
    hidden = IncidentFactory(visibility="coordinators")

    rows = download(sign_in(client, staff))

    assert [row["reference"] for row in rows] == [incident.reference]
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.shown == sorted(
        [
            f"incidents.incident:{incident.pk}",
            f"people.person:{person.pk}",
            f"places.place:{place.pk}",
        ]
    )
    assert f"incidents.incident:{hidden.pk}" not in event.shown


def test_a_coordinators_export_records_the_free_text_columns(
    client: Client, coordinator: User
) -> None:
    download(sign_in(client, coordinator))

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.fields == sorted(COLUMNS + FREE_TEXT)


def test_the_export_takes_as_many_queries_for_200_incidents_as_for_10(
    client: Client, coordinator: User, staff: User, django_assert_num_queries: object
) -> None:
    places, people = [PlaceFactory(), PlaceFactory()], [PersonFactory(), PersonFactory()]
    sources = [ActorFactory(), AdversaryFactory()]

    def log(count: int) -> None:
        for n in range(count):
            incident = IncidentFactory(reporter=staff, place=places[n % 2], source=sources[n % 2])
            incident.affected_people.set(people[: n % 3])

    sign_in(client, coordinator).get(URL)  # the first request of a session does more
    log(10)
    with CaptureQueriesContext(connection) as few:
        assert len(download(client)) == 10
    log(190)

    with django_assert_num_queries(len(few)):  # type: ignore[operator]
        assert len(download(client)) == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_refused(client: Client, staff: User, method: str) -> None:
    assert getattr(sign_in(client, staff), method)(URL).status_code == 405
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.django_db
def test_someone_without_a_role_may_not_export(client: Client) -> None:
    IncidentFactory()

    response = sign_in(client, UserFactory()).get(URL)

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_the_file_starts_with_a_byte_order_mark_so_spreadsheets_read_it_as_utf8(
    client: Client, coordinator: User
) -> None:
    IncidentFactory(summary="Menace à la gare")

    response = sign_in(client, coordinator).get(URL)

    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    assert "Menace à la gare" in body.decode("utf-8-sig")
