import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Incident, Review, TimelineEntry
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import IncidentFactory, ReviewFactory, UserFactory

UNKNOWN = "/incidents/00000000-0000-4000-8000-000000000000/reviews/new/"


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/reviews/new/"


def is_checked(page: str, name: str, value: object) -> bool:
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', page)
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


def form_data(**changes: object) -> dict[str, object]:
    data = {
        "held_on": timezone.localdate().isoformat(),
        "decision": "measures",
        "measures": "Outreach in pairs until the end of the month.",
    }
    return {**data, **changes}


def test_a_review_moves_a_new_incident_under_review_on_the_timeline(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory(status="new", reporter=staff)

    response = sign_in(client, coordinator).post(
        url(incident), form_data(participants=[str(coordinator.pk), str(staff.pk)])
    )

    assert response["Location"] == f"/incidents/{incident.pk}/"
    review = Review.objects.get(incident=incident)
    assert (review.decision, review.recorded_by) == ("measures", coordinator)
    assert review.measures == "Outreach in pairs until the end of the month."
    assert set(review.participants.all()) == {coordinator, staff}
    saved = Incident.objects.get(pk=incident.pk)
    assert saved.status == "under_review"
    assert saved.first_reviewed_at is not None
    entries = [(e.kind, e.old_value, e.new_value) for e in TimelineEntry.objects.all()]
    assert entries == [("review", "", "measures"), ("status", "new", "under_review")]
    created = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (created.object_id, created.fields) == (
        str(review.pk),
        ["decision", "held_on", "measures", "participants"],
    )
    changed = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (changed.object_id, changed.fields) == (str(incident.pk), ["status"])


def test_a_status_set_by_the_team_is_left_as_it_is(client: Client, coordinator: User) -> None:
    incident = IncidentFactory(status="monitoring")

    sign_in(client, coordinator).post(url(incident), form_data(decision="no_action", measures=""))

    saved = Incident.objects.get(pk=incident.pk)
    assert saved.status == "monitoring"
    assert saved.first_reviewed_at is not None
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.STATUS).exists()


def test_the_first_look_keeps_its_time(client: Client, coordinator: User) -> None:
    first_look = timezone.now() - timedelta(days=3)
    incident = IncidentFactory(status="action_needed")
    Incident.objects.filter(pk=incident.pk).update(first_reviewed_at=first_look)

    sign_in(client, coordinator).post(url(incident), form_data())

    assert Incident.objects.get(pk=incident.pk).first_reviewed_at == first_look


def test_the_form_ticks_the_recorder_and_finds_colleagues_with_a_role_by_name(
    client: Client, coordinator: User, staff: User
) -> None:
    UserFactory(display_name="Without A Role", role=None)
    UserFactory(display_name="Gone Volunteer", role=Role.STAFF, is_active=False)
    incident = IncidentFactory()
    sign_in(client, coordinator)

    page = client.get(url(incident))
    # "Find" with nothing typed, without JavaScript: the team, by name.
    searched = client.post(
        url(incident), {"find": "participants", "participants": [coordinator.pk]}
    )

    assert page.status_code == searched.status_code == 200
    assert is_checked(page.content.decode(), "participants", coordinator.pk)
    # Only the recorder is named until someone searches.
    assert re.findall(r'name="participants" value="([^"]+)"', page.content.decode()) == [
        str(coordinator.pk)
    ]
    found = searched.content.decode()
    assert is_checked(found, "participants", coordinator.pk)
    assert not is_checked(found, "participants", staff.pk)
    assert "Lin" in found
    assert "Without A Role" not in found and "Gone Volunteer" not in found
    assert not Review.objects.exists()


def test_a_review_date_in_the_future_is_refused(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = sign_in(client, coordinator).post(
        url(incident), form_data(held_on=tomorrow.isoformat())
    )

    assert b"The date cannot be in the future." in response.content
    assert not Review.objects.exists()


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(incident), form_data(decision="", measures="Walk her home after court")
    )

    assert response.status_code == 200
    assert b"Say what the team decided." in response.content
    assert b"Walk her home after court" in response.content
    assert not Review.objects.exists()
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_taking_measures_asks_which(client: Client, coordinator: User) -> None:
    response = sign_in(client, coordinator).post(
        url(IncidentFactory()), form_data(decision="measures", measures="")
    )

    assert b"Say which measures: who does what, by when." in response.content
    assert not Review.objects.exists()


def test_the_incident_page_lists_the_reviews_for_coordinators(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    ReviewFactory(incident=incident, measures="Change the outreach route", participants=[staff])
    detail = f"/incidents/{incident.pk}/"

    as_coordinator = sign_in(client, coordinator).get(detail)
    as_staff = sign_in(Client(), staff).get(detail)
    page, staff_page = as_coordinator.content.decode(), as_staff.content.decode()

    assert (as_coordinator.status_code, as_staff.status_code) == (200, 200)
    assert incident.summary in staff_page
    assert "Team reviews" in page and "Take measures" in page
    assert "Change the outreach route" in page
    assert "Change the outreach route" not in staff_page


def test_the_incident_page_takes_as_many_queries_for_many_reviews_as_for_one(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory(reporter=staff)
    ReviewFactory(incident=incident, participants=[staff], recorded_by=coordinator)
    sign_in(client, coordinator).get(f"/incidents/{incident.pk}/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/incidents/{incident.pk}/")
        return len(captured)

    one = count()
    for _ in range(5):
        ReviewFactory(incident=incident, participants=[staff, coordinator])

    assert count() == one


def test_staff_may_not_record_a_review(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)
    sign_in(client, staff)

    assert client.get(url(incident)).status_code == 403
    assert client.post(url(incident), form_data()).status_code == 403
    assert not Review.objects.exists()


def test_an_incident_the_coordinator_may_not_see_is_not_found(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(visibility="named")
    sign_in(client, coordinator)

    assert client.get(url(incident)).status_code == 404
    assert client.post(url(incident), form_data()).status_code == 404
    assert client.get(UNKNOWN).status_code == 404
    assert not Review.objects.exists()


def test_staff_who_may_not_see_the_incident_get_404_rather_than_403(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(visibility="coordinators")

    assert sign_in(client, staff).get(url(incident)).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client: Client, coordinator: User, method: str) -> None:
    incident = IncidentFactory()

    assert getattr(sign_in(client, coordinator), method)(url(incident)).status_code == 405
