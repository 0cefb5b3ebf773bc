import csv
import io
import tempfile
import uuid
from collections.abc import Callable

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from incidents import services as incident_services
from incidents.attachments import check_upload
from incidents.models import Attachment, Incident
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.people.models import Person
from safespaces.people.naming import naming_record, records_naming
from safespaces.people.selectors import access_events
from tests.conftest import sign_in
from tests.factories import (
    AttachmentFactory,
    EngagementFactory,
    IncidentFactory,
    PersonFactory,
    RiskSituationFactory,
    UserFactory,
)
from tests.incidents import samples


def report_url(person: Person) -> str:
    return f"/people/{person.pk}/access/"


def test_it_lists_every_view_reveal_and_change_of_the_record(
    client: Client, administrator: User, staff: User
) -> None:
    person = PersonFactory()
    sign_in(Client(), staff).get(f"/people/{person.pk}/")
    sign_in(Client(), administrator).post(f"/people/{person.pk}/reveal/", follow=True)
    audit_record(
        action=AuditEvent.Action.VIEW, actor=staff, target=PersonFactory()
    )  # another person

    response = sign_in(client, administrator).get(report_url(person))

    rows = [(row.event.actor, row.event.action, row.records) for row in response.context["rows"]]
    assert rows == [
        (administrator, AuditEvent.Action.REVEAL_IDENTITY, ["Person record"]),
        (staff, AuditEvent.Action.VIEW, ["Person record"]),
    ]


def test_it_filters_by_date(client: Client, administrator: User, staff: User) -> None:
    person = PersonFactory()
    incident = IncidentFactory()
    incident.affected_people.set([person])
    for day in ("2026-10-01", "2026-10-15", "2026-11-01"):
        with time_machine.travel(f"{day} 12:00", tick=False):
            audit_record(action=AuditEvent.Action.VIEW, actor=staff, target=person)
            audit_record(action=AuditEvent.Action.VIEW, actor=staff, target=incident)

    response = sign_in(client, administrator).get(
        report_url(person), {"date_from": "2026-10-10", "date_to": "2026-10-31"}
    )

    found = [(row.event.at.date().isoformat(), row.records) for row in response.context["rows"]]
    assert found == [
        ("2026-10-15", [f"Incident {incident.reference}"]),
        ("2026-10-15", ["Person record"]),
    ]


def test_it_downloads_as_csv_with_formula_cells_defused(
    client: Client, administrator: User
) -> None:
    person = PersonFactory()
    audit_record(action=AuditEvent.Action.VIEW, actor=UserFactory(username="=cmd"), target=person)

    response = sign_in(client, administrator).get(report_url(person), {"format": "csv"})

    assert response["Content-Disposition"] == 'attachment; filename="access-report.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["when", "who", "action", "record", "fields"]
    assert rows[1][1:4] == ["'=cmd", "Viewed", "Person record"]


def test_a_person_named_in_three_incidents_sees_each_opening_and_the_export(
    client: Client, administrator: User, staff: User, other_staff: User, coordinator: User
) -> None:
    """The figure: each incident opened once by one user, the person's page once, one export.
    Before the report covered records that name the person it found 2 of these 5 events (the
    page, and the export, which names the person)."""
    person = PersonFactory()
    incidents = [IncidentFactory() for _ in range(3)]
    for incident in incidents:
        incident.affected_people.set([person])
    for user, incident in zip([staff, other_staff, coordinator], incidents, strict=True):
        assert sign_in(Client(), user).get(f"/incidents/{incident.pk}/").status_code == 200
    assert sign_in(Client(), staff).get(f"/people/{person.pk}/").status_code == 200
    assert sign_in(Client(), coordinator).get("/incidents/export/").status_code == 200

    response = sign_in(client, administrator).get(report_url(person))

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 5


def test_the_events_are_found_in_one_query_however_many_records(
    administrator: User, django_assert_num_queries: Callable[[int], object]
) -> None:
    person = PersonFactory()
    incidents = [IncidentFactory() for _ in range(30)]
    for incident in incidents:
        incident.affected_people.set([person])
        AttachmentFactory(incident=incident)
        audit_record(action=AuditEvent.Action.VIEW, actor=administrator, target=incident)
    records = records_naming(person)
    assert len(records) == 61  # the person, 30 incidents, 30 attachments

    with django_assert_num_queries(1):  # type: ignore[operator]
        found = list(access_events(records))

    assert len(found) == 30


def test_a_person_named_in_thousands_of_records_is_still_found(
    administrator: User, staff: User
) -> None:
    """One condition for `shown`, however many records: one per record would pass SQLite's
    limit on the depth of an expression."""
    person = PersonFactory()
    incident = IncidentFactory()
    audit_record(
        action=AuditEvent.Action.LIST,
        actor=staff,
        object_type="incidents.incident",
        shown=[f"incidents.incident:{incident.pk}"],
    )
    many = [naming_record(Incident, uuid.uuid4(), "Incident") for _ in range(3000)]
    records = [*records_naming(person), *many, naming_record(Incident, incident.pk, "Theirs")]

    found = list(access_events(records))

    assert [(event.actor, event.action) for event in found] == [(staff, AuditEvent.Action.LIST)]


def test_a_page_that_showed_the_persons_records_names_only_those(
    client: Client, administrator: User, staff: User
) -> None:
    """A list shows many records: the row names the person's among them, never the others."""
    person = PersonFactory()
    theirs, other = IncidentFactory(), IncidentFactory()
    theirs.affected_people.set([person])
    listed = sign_in(Client(), staff).get("/incidents/")
    assert listed.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST, actor=staff)
    assert {f"incidents.incident:{theirs.pk}", f"incidents.incident:{other.pk}"} <= set(
        event.shown or []
    )

    response = sign_in(client, administrator).get(report_url(person))

    rows = [(row.event.action, row.records) for row in response.context["rows"]]
    assert rows == [(AuditEvent.Action.LIST, [f"Incident {theirs.reference}"])]
    assert other.reference not in response.content.decode()


def test_a_record_named_only_by_a_longer_code_is_not_the_persons(
    client: Client, administrator: User, staff: User
) -> None:
    """`shown` is matched by the whole quoted name, not a part of one."""
    person = PersonFactory()
    audit_record(
        action=AuditEvent.Action.LIST,
        actor=staff,
        object_type="people.person",
        shown=[f"people.person:{person.pk}0", f"xpeople.person:{person.pk}"],
    )
    audit_record(action=AuditEvent.Action.VIEW, actor=staff, target=person)

    response = sign_in(client, administrator).get(report_url(person))

    assert response.status_code == 200
    assert [row.event.action for row in response.context["rows"]] == [AuditEvent.Action.VIEW]


class PersonNamedAcrossTheAppsTest(TestCase):
    """Swallow is among the people affected by three incidents, takes part in a risk situation
    and is named in a contact with an ally. Different users open each, download an attachment
    and export the incident book; they also open records that do not name her."""

    @classmethod
    def setUpTestData(cls) -> None:
        folder = cls.enterClassContext(tempfile.TemporaryDirectory())
        cls.enterClassContext(
            override_settings(
                STORAGES={
                    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                    "staticfiles": {
                        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    },
                    "attachments": {
                        "BACKEND": "safespaces.files.PrivateFileSystemStorage",
                        "OPTIONS": {"location": folder},
                    },
                }
            )
        )
        cls.administrator = UserFactory(username="amina", role=Role.ADMINISTRATOR)
        cls.coordinator = UserFactory(username="rosa", role=Role.COORDINATOR)
        cls.staff = UserFactory(username="lin", role=Role.STAFF)
        cls.other_staff = UserFactory(username="sam", role=Role.STAFF)
        cls.person = PersonFactory(alias="Swallow")
        cls.someone_else = PersonFactory(alias="Heron")
        cls.incidents = [IncidentFactory() for _ in range(3)]
        for incident in cls.incidents:
            incident.affected_people.set([cls.person])
        cls.other_incident = IncidentFactory()
        cls.other_incident.affected_people.set([cls.someone_else])
        cls.attachment = cls.added(cls.incidents[0])
        cls.other_attachment = cls.added(cls.other_incident)
        cls.situation = RiskSituationFactory(people=[cls.person])
        cls.other_situation = RiskSituationFactory(people=[cls.someone_else])
        cls.engagement = EngagementFactory(person=cls.person)
        cls.other_engagement = EngagementFactory(person=cls.someone_else)

        lin, sam, rosa = (
            sign_in(Client(), user) for user in (cls.staff, cls.other_staff, cls.coordinator)
        )
        # Statuses only: setUpTestData's attributes are copied for each test, responses cannot be.
        cls.statuses = [
            answer.status_code
            for answer in (
                lin.get(f"/incidents/{cls.incidents[0].pk}/"),
                sam.get(f"/incidents/{cls.incidents[1].pk}/"),
                rosa.get(f"/incidents/{cls.incidents[2].pk}/"),
                sam.get(f"/incidents/attachments/{cls.attachment.pk}/"),
                rosa.get(f"/risks/{cls.situation.pk}/"),
                rosa.get(f"/allies/engagements/{cls.engagement.pk}/edit/"),
                lin.get(f"/people/{cls.person.pk}/"),
                rosa.get("/incidents/export/"),
                # Records that do not name Swallow.
                lin.get(f"/incidents/{cls.other_incident.pk}/"),
                sam.get(f"/incidents/attachments/{cls.other_attachment.pk}/"),
                rosa.get(f"/risks/{cls.other_situation.pk}/"),
                rosa.get(f"/allies/engagements/{cls.other_engagement.pk}/edit/"),
                lin.get(f"/people/{cls.someone_else.pk}/"),
            )
        ]

    @staticmethod
    def added(incident: Incident) -> Attachment:
        """An attachment added the way the app adds one, so it can be downloaded."""
        upload = SimpleUploadedFile("statement.pdf", samples.pdf(b"Statement"), "application/pdf")
        return incident_services.attachment_add(
            incident=incident, upload=check_upload(upload), by=incident.reporter
        )

    def report(self, **query: str) -> list[tuple[str, str, list[str]]]:
        response = sign_in(self.client, self.administrator).get(report_url(self.person), query)
        assert response.status_code == 200
        return [
            (row.event.actor.username, row.event.action, row.records)
            for row in response.context["rows"]
        ]

    def labels(self) -> dict[str, str]:
        today = timezone.localdate().isoformat()
        first = self.incidents[0].reference
        return {
            "person": "Person record",
            **{f"incident {n}": f"Incident {i.reference}" for n, i in enumerate(self.incidents)},
            "attachment": f"Attachment to incident {first}, added {today}",
            "situation": f"Risk situation: Outreach to people in exploitation, recorded {today}",
            "engagement": f"Contact with an ally: Request for help, {today}",
        }

    def test_every_page_was_answered(self) -> None:
        assert self.statuses == [200] * 13

    def test_it_lists_every_event_on_a_record_that_names_her_with_the_record(self) -> None:
        label = self.labels()
        incidents = [label[f"incident {n}"] for n in range(3)]

        assert self.report() == [
            # The export names every incident and every person affected.
            ("rosa", AuditEvent.Action.EXPORT, [label["person"], *incidents]),
            ("lin", AuditEvent.Action.VIEW, [label["person"]]),
            ("rosa", AuditEvent.Action.VIEW, [label["engagement"]]),
            ("rosa", AuditEvent.Action.VIEW, [label["situation"]]),
            ("sam", AuditEvent.Action.DOWNLOAD, [label["attachment"]]),
            ("rosa", AuditEvent.Action.VIEW, [incidents[2]]),
            ("sam", AuditEvent.Action.VIEW, [incidents[1]]),
            # The incident's page lists its attachment, by its encrypted file name.
            ("lin", AuditEvent.Action.VIEW, [incidents[0], label["attachment"]]),
            (self.incidents[0].reporter.username, AuditEvent.Action.CREATE, [label["attachment"]]),
        ]

    def test_events_on_records_that_do_not_name_her_are_left_out(self) -> None:
        others = {
            str(record.pk)
            for record in (
                self.other_incident,
                self.other_attachment,
                self.other_situation,
                self.other_engagement,
                self.someone_else,
            )
        }
        # They happened, and the administrators' log has them.
        assert others <= set(AuditEvent.objects.values_list("object_id", flat=True))

        rows = self.report()

        assert len(rows) == 9
        assert all(records for _who, _action, records in rows)
        response = sign_in(self.client, self.administrator).get(report_url(self.person))
        page = response.content.decode()
        assert self.incidents[0].reference in page
        assert self.other_incident.reference not in page
        assert "Heron" not in page

    def test_the_csv_has_the_same_rows_with_the_record_named(self) -> None:
        response = sign_in(self.client, self.administrator).get(
            report_url(self.person), {"format": "csv"}
        )

        assert response.status_code == 200
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert lines[0] == ["when", "who", "action", "record", "fields"]
        expected = [
            (who, AuditEvent.Action(action).label, "; ".join(records))
            for who, action, records in self.report()
        ]
        assert [(who, action, record) for _when, who, action, record, _fields in lines[1:]] == [
            (who, str(action), record) for who, action, record in expected
        ]

    def test_the_page_shows_the_record_of_each_row(self) -> None:
        response = sign_in(self.client, self.administrator).get(report_url(self.person))

        page = response.content.decode()
        assert response.status_code == 200
        assert "9 events" in page
        for label in self.labels().values():
            assert label in page
