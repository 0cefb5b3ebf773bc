from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    AdversaryFactory,
    EngagementFactory,
    IncidentFactory,
    PersonFactory,
    PlaceFactory,
    ThreatAssessmentFactory,
    TimelineEntryFactory,
)

UNKNOWN = "/incidents/00000000-0000-4000-8000-000000000000/"


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/"


def test_staff_read_a_team_incident_with_its_timeline(
    client: Client, staff: User, other_staff: User
) -> None:
    incident = IncidentFactory(reporter=other_staff)
    TimelineEntryFactory(incident=incident, body="Called the shelter to warn them.")

    response = sign_in(client, staff).get(url(incident))

    assert response.status_code == 200
    for text in [
        incident.reference,
        "Followed after outreach",
        "A man from the old house followed us to the bus stop.",
        "Outreach stopped for a week.",
        "Leave in pairs.",
        "Called the shelter to warn them.",
    ]:
        assert text.encode() in response.content


def test_every_look_is_recorded_in_the_audit_trail(client: Client, staff: User) -> None:
    incident = IncidentFactory()

    sign_in(client, staff).get(url(incident))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        staff,
        "incidents.incident",
        str(incident.pk),
    )


def test_the_page_title_says_nothing_about_the_incident(client: Client, staff: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, staff).get(url(incident))

    title = response.content.split(b"<title>")[1].split(b"</title>")[0]
    assert b"Followed" not in title and incident.reference.encode() not in title


def test_affected_people_are_named_by_alias_only(client: Client, staff: User) -> None:
    person = PersonFactory(alias="Swallow", legal_name="Maria Example")
    incident = IncidentFactory()
    incident.affected_people.set([person])

    response = sign_in(client, staff).get(url(incident))

    assert response.status_code == 200
    assert b"Swallow" in response.content
    assert b"Maria Example" not in response.content


def test_staff_learn_only_that_a_hidden_source_is_recorded(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(source=AdversaryFactory(name="Blue Door Crew"))

    as_staff = sign_in(client, staff).get(url(incident))
    as_coordinator = sign_in(Client(), coordinator).get(url(incident))

    assert b"Blue Door Crew" not in as_staff.content
    assert b"Recorded; coordinators can tell you more." in as_staff.content
    assert b"Blue Door Crew" in as_coordinator.content


def test_the_people_named_are_listed_on_a_named_incident(
    client: Client, staff: User, named_staff: User
) -> None:
    incident = IncidentFactory(reporter=staff, visibility="named")
    incident.shared_with.set([named_staff])

    response = sign_in(client, staff).get(url(incident))

    assert b"Shared with" in response.content
    assert named_staff.shown_name.encode() in response.content


def test_the_reporter_sees_the_edit_link_and_other_staff_do_not(
    client: Client, staff: User, other_staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    edit = f'href="/incidents/{incident.pk}/edit/"'.encode()

    as_reporter = sign_in(client, staff).get(url(incident))
    as_other_staff = sign_in(Client(), other_staff).get(url(incident))

    assert (as_reporter.status_code, as_other_staff.status_code) == (200, 200)
    assert edit in as_reporter.content
    assert incident.summary.encode() in as_other_staff.content
    assert edit not in as_other_staff.content


def test_only_coordinators_see_the_analysis_tools(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    status_form = f'action="/incidents/{incident.pk}/status/"'.encode()

    as_staff = sign_in(client, staff).get(url(incident))
    as_coordinator = sign_in(Client(), coordinator).get(url(incident))

    assert (as_staff.status_code, as_coordinator.status_code) == (200, 200)
    assert incident.summary.encode() in as_staff.content
    assert status_form not in as_staff.content
    assert status_form in as_coordinator.content
    assert f'/incidents/{incident.pk}/assessment/"'.encode() in as_coordinator.content


def test_the_reporter_reads_their_own_coordinator_level_incident(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(reporter=staff, visibility="coordinators")

    assert sign_in(client, staff).get(url(incident)).status_code == 200


def test_outsiders_get_404_and_nothing_is_recorded(
    client: Client, other_staff: User, coordinator: User
) -> None:
    coordinators_only = IncidentFactory(visibility="coordinators")
    named = IncidentFactory(visibility="named")

    assert sign_in(client, other_staff).get(url(coordinators_only)).status_code == 404
    assert sign_in(Client(), coordinator).get(url(named)).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_an_unknown_incident_is_404(client: Client, administrator: User) -> None:
    assert sign_in(client, administrator).get(UNKNOWN).status_code == 404


def test_a_post_is_refused(client: Client, staff: User) -> None:
    incident = IncidentFactory()

    assert sign_in(client, staff).post(url(incident)).status_code == 405


def test_the_query_count_does_not_grow_with_the_timeline(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(place=PlaceFactory(), source=AdversaryFactory())
    sign_in(client, coordinator).get(url(incident))  # the first request notes the session's start
    first = TimelineEntryFactory.create_batch(2, incident=incident)
    with CaptureQueriesContext(connection) as few:
        client.get(url(incident))
    TimelineEntryFactory.create_batch(26, incident=incident)
    TimelineEntryFactory(incident=incident, corrects=first[0], body="It was the Tuesday.")
    TimelineEntryFactory(incident=incident, kind="ally_contacted", engagement=EngagementFactory())
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(incident))

    assert len(many) == len(few)
    assert len(response.context["timeline"]) == 30
    assert b"It was the Tuesday." in response.content


def test_staff_do_not_see_the_lines_of_assessments_and_reviews(
    client: Client, staff: User, coordinator: User
) -> None:
    incident = IncidentFactory()
    TimelineEntryFactory(incident=incident, kind="assessment", new_value="imminent", body="")
    TimelineEntryFactory(incident=incident, kind="review", new_value="measures", body="")

    as_staff = sign_in(client, staff).get(f"/incidents/{incident.pk}/").content.decode()
    as_coordinator = sign_in(Client(), coordinator).get(f"/incidents/{incident.pk}/")

    assert "Imminent" not in as_staff and "Take measures" not in as_staff
    assert "Imminent" in as_coordinator.content.decode()
    assert "Take measures" in as_coordinator.content.decode()


def test_a_pattern_link_shows_on_both_incidents(client: Client, coordinator: User) -> None:
    earlier = IncidentFactory(summary="Car at the gate two nights running")
    assessed = IncidentFactory(summary="Messages from an unknown number")
    ThreatAssessmentFactory(incident=assessed, linked_incidents=[earlier])
    sign_in(client, coordinator)

    forward = client.get(url(assessed))
    back = client.get(url(earlier))

    assert forward.status_code == back.status_code == 200
    forward_page, back_page = forward.content.decode(), back.content.decode()
    assert "Incidents it links as a pattern" in forward_page
    assert f'href="/incidents/{earlier.pk}/">{earlier.reference}</a>' in forward_page
    assert "Car at the gate two nights running" in forward_page
    assert "Linked from" in back_page
    assert f'href="/incidents/{assessed.pk}/">{assessed.reference}</a>' in back_page
    assert "Messages from an unknown number" in back_page
    # The look at the incident names the other incident whose summary it showed.
    look = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW, object_id=str(earlier.pk))
    assert f"incidents.incident:{assessed.pk}" in look.get().shown


def test_a_link_from_an_incident_the_viewer_may_not_see_is_not_revealed(
    client: Client, coordinator: User, administrator: User
) -> None:
    incident = IncidentFactory()
    hidden = IncidentFactory(visibility="named", summary="Her brother came to the office")
    seen = IncidentFactory(summary="Messages from an unknown number")
    ThreatAssessmentFactory(incident=hidden, linked_incidents=[incident])
    ThreatAssessmentFactory(incident=seen, linked_incidents=[incident])

    response = sign_in(client, coordinator).get(url(incident))
    as_administrator = sign_in(Client(), administrator).get(url(incident)).content.decode()

    assert response.status_code == 200
    page = response.content.decode()
    assert "Linked from" in page and seen.reference in page
    assert "Messages from an unknown number" in page
    assert hidden.reference not in page
    assert "Her brother came to the office" not in page
    assert (
        f"incidents.incident:{hidden.pk}"
        not in AuditEvent.objects.get(action=AuditEvent.Action.VIEW, actor=coordinator).shown
    )
    assert hidden.reference in as_administrator  # the link is there for whoever may see it


def test_staff_do_not_see_the_pattern_links_of_assessments(client: Client, staff: User) -> None:
    incident = IncidentFactory()
    other = IncidentFactory(summary="Messages from an unknown number")
    ThreatAssessmentFactory(incident=other, linked_incidents=[incident])

    response = sign_in(client, staff).get(url(incident))

    assert response.status_code == 200
    assert incident.reference.encode() in response.content
    assert b"Linked from" not in response.content
    assert other.reference.encode() not in response.content


def test_the_query_count_does_not_grow_with_the_pattern_links(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    assessment = ThreatAssessmentFactory(
        incident=incident, linked_incidents=IncidentFactory.create_batch(2)
    )
    for other in IncidentFactory.create_batch(2):
        ThreatAssessmentFactory(incident=other, linked_incidents=[incident])
    sign_in(client, coordinator).get(url(incident))  # the first request notes the session's start
    with CaptureQueriesContext(connection) as few:
        client.get(url(incident))
    assessment.linked_incidents.add(*IncidentFactory.create_batch(15))
    for other in IncidentFactory.create_batch(15):
        ThreatAssessmentFactory(incident=other, linked_incidents=[incident])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(incident))

    assert len(many) == len(few)
    assert len(response.context["linked"]) == 17
    assert len(response.context["linked_from"]) == 17
