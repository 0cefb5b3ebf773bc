import pytest
from django.test import Client

from incidents.models import Attachment, Incident
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import one_event_opening, sign_in
from tests.factories import (
    AdversaryFactory,
    IncidentFactory,
    PersonFactory,
    PlaceFactory,
    ReviewFactory,
    ThreatAssessmentFactory,
    TimelineEntryFactory,
    UserFactory,
)

UNKNOWN = "/incidents/00000000-0000-4000-8000-000000000000/report/"


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/report/"


def attach(incident: Incident, name: str) -> Attachment:
    return Attachment.objects.create(
        incident=incident,
        file_name=name,
        file_key="k" * 44,
        stored_as=f"stored-{name}",
        content_type="image/jpeg",
        size=2048,
        uploaded_by=incident.reporter,
    )


def test_the_report_holds_the_incident_its_people_files_and_timeline(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(
        reporter=staff, place=PlaceFactory(name="Harbour House"), impact="Outreach stopped."
    )
    incident.affected_people.set([PersonFactory(alias="Swift")])
    attach(incident, "car-outside.jpg")
    TimelineEntryFactory(incident=incident, body="Called the shelter to warn them.")

    page = sign_in(client, staff).get(url(incident)).content.decode()

    assert incident.reference in page
    assert "Followed after outreach" in page
    assert "A man from the old house followed us to the bus stop." in page
    assert "Outreach stopped." in page
    assert "Harbour House" in page and "Swift" in page
    assert "car-outside.jpg" in page
    assert "Called the shelter to warn them." in page


def test_the_report_prints_with_the_print_button_and_its_script(
    client: Client, staff: User
) -> None:
    page = sign_in(client, staff).get(url(IncidentFactory())).content.decode()

    assert '<button type="button" data-print>Print</button>' in page
    assert "/static/js/print.js" in page
    assert 'class="no-print"' in page


def test_opening_the_report_is_recorded_as_an_export(client: Client, staff: User) -> None:
    place = PlaceFactory()
    incident = IncidentFactory(place=place)

    # One event for the response: the export, naming what the printed report shows.
    event = one_event_opening(sign_in(client, staff), url(incident))

    assert (event.action, event.actor, event.object_type, event.object_id) == (
        AuditEvent.Action.EXPORT,
        staff,
        "incidents.incident",
        str(incident.pk),
    )
    assert f"places.place:{place.pk}" in (event.shown or [])


def test_coordinators_get_the_assessment_and_the_reviews(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory()
    linked = IncidentFactory()
    ThreatAssessmentFactory(
        incident=incident,
        actor=AdversaryFactory(name="Blue Door Crew"),
        confidence="medium",
        linked_incidents=[linked],
    )
    ReviewFactory(incident=incident, measures="Move the outreach to mornings.")

    as_coordinator = sign_in(client, coordinator).get(url(incident))
    as_staff = sign_in(Client(), staff).get(url(incident))
    page, staff_page = as_coordinator.content.decode(), as_staff.content.decode()

    assert (as_coordinator.status_code, as_staff.status_code) == (200, 200)
    assert "A car waited outside the shelter two nights running." in page
    assert incident.description in staff_page
    assert "Blue Door Crew" in page and "confidence: Medium" in page
    assert linked.reference in page
    assert "Move the outreach to mornings." in page
    for private in ("Threat assessment", "Blue Door Crew", "Move the outreach to mornings."):
        assert private not in staff_page


def test_the_report_names_the_assessments_that_link_to_the_incident(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    seen, hidden = IncidentFactory(), IncidentFactory(visibility="named")
    for other in (seen, hidden):
        ThreatAssessmentFactory(incident=other, linked_incidents=[incident])

    response = sign_in(client, coordinator).get(url(incident))

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Linked from the threat assessments of: {seen.reference}" in page
    assert hidden.reference not in page


def test_a_source_staff_may_not_see_stays_unnamed(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(source=AdversaryFactory(name="Blue Door Crew"))

    as_staff = sign_in(client, staff).get(url(incident))
    as_coordinator = sign_in(Client(), coordinator).get(url(incident))
    staff_page, coordinator_page = as_staff.content.decode(), as_coordinator.content.decode()

    assert (as_staff.status_code, as_coordinator.status_code) == (200, 200)
    assert incident.summary in staff_page
    assert "Blue Door Crew" not in staff_page
    assert "Blue Door Crew" in coordinator_page


def test_an_incident_the_user_may_not_see_is_not_found(
    client: Client, staff: User, other_staff: User
) -> None:
    incident = IncidentFactory(visibility="named", reporter=other_staff)
    sign_in(client, staff)

    assert client.get(url(incident)).status_code == 404
    assert client.get(UNKNOWN).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.django_db
def test_someone_without_a_role_may_not_print_a_report(client: Client) -> None:
    incident = IncidentFactory()

    # They may see no incident at all: the report is not there for them.
    assert sign_in(client, UserFactory()).get(url(incident)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_refused(client: Client, staff: User, method: str) -> None:
    incident = IncidentFactory()

    assert getattr(sign_in(client, staff), method)(url(incident)).status_code == 405
