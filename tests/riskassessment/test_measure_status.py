from django.test import Client

from riskassessment.models import Measure
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import MeasureFactory, UserFactory

UNKNOWN = "/risks/measures/00000000-0000-4000-8000-000000000000/status/"


def url(measure: Measure) -> str:
    return f"/risks/measures/{measure.pk}/status/"


def test_the_owner_marks_their_measure_done(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff)

    response = sign_in(client, staff).post(url(measure), {"status": "done"}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert b"The measure was updated." in response.content
    saved = Measure.objects.get(pk=measure.pk)
    assert (saved.status, saved.version) == ("done", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_type, event.object_id, event.fields) == (
        staff,
        "riskassessment.measure",
        str(measure.pk),
        ["status"],
    )


def test_a_coordinator_moves_any_measure_and_goes_back_to_the_situation(
    client: Client, coordinator: User, staff: User
) -> None:
    measure = MeasureFactory(owner=staff)

    response = sign_in(client, coordinator).post(
        url(measure), {"status": "in_progress", "back": "situation"}
    )

    assert response["Location"] == f"/risks/{measure.situation_id}/"
    assert Measure.objects.get(pk=measure.pk).status == "in_progress"


def test_an_administrator_drops_one(client: Client, administrator: User) -> None:
    measure = MeasureFactory()

    response = sign_in(client, administrator).post(url(measure), {"status": "dropped"})

    assert response["Location"] == "/"
    assert Measure.objects.get(pk=measure.pk).status == "dropped"


def test_staff_are_never_sent_to_the_coordinators_page(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff)

    response = sign_in(client, staff).post(url(measure), {"status": "done", "back": "situation"})

    assert response["Location"] == "/"


def test_the_same_status_again_writes_nothing(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff, status="in_progress")

    response = sign_in(client, staff).post(url(measure), {"status": "in_progress"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert Measure.objects.get(pk=measure.pk).status == "in_progress"
    assert Measure.objects.get(pk=measure.pk).version == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_an_unknown_status_is_explained_and_changes_nothing(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff)
    sign_in(client, staff)

    responses = [
        client.post(url(measure), data, follow=True)
        for data in ({"status": "finished"}, {"status": ""}, {})
    ]

    assert all(b"Choose a status from the list." in r.content for r in responses)
    saved = Measure.objects.get(pk=measure.pk)
    assert (saved.status, saved.version) == ("planned", 1)


def test_other_staff_get_404_even_when_taking_part(
    client: Client, staff: User, other_staff: User
) -> None:
    measure = MeasureFactory(owner=staff, situation__participants=[other_staff])

    response = sign_in(client, other_staff).post(url(measure), {"status": "done"})

    assert response.status_code == 404
    assert Measure.objects.get(pk=measure.pk).status == "planned"


def test_an_account_without_a_role_is_refused(client: Client, db: None) -> None:
    nobody = UserFactory()
    measure = MeasureFactory(owner=nobody)

    response = sign_in(client, nobody).post(url(measure), {"status": "done"})

    # Without a role they may see no situation, so not its measures either.
    assert response.status_code == 404
    assert Measure.objects.get(pk=measure.pk).status == "planned"


def test_an_unknown_measure_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.post(UNKNOWN, {"status": "done"}).status_code == 404
    assert client.post("/risks/measures/done/status/", {"status": "done"}).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    measure = MeasureFactory()

    assert client.post(url(measure), {"status": "done"})["Location"] == "/login/"
    assert Measure.objects.get(pk=measure.pk).status == "planned"


def test_get_is_refused(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff)

    assert sign_in(client, staff).get(url(measure)).status_code == 405
