from typing import Any

from django.test import Client

from riskassessment.models import Measure
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    MeasureFactory,
    RiskAssessmentFactory,
    RiskThreatFactory,
    UserFactory,
)

UNKNOWN = "/risks/measures/00000000-0000-4000-8000-000000000000/edit/"
CONFLICT = b"Someone else changed this measure while you were editing."


def url(measure: Measure) -> str:
    return f"/risks/measures/{measure.pk}/edit/"


def form_data(measure: Measure, **changes: Any) -> dict[str, Any]:
    """The form as it comes back when saved without changes."""
    data = {
        "kind": measure.kind,
        "description": measure.description,
        "owner": measure.owner_id or "",
        "due_on": measure.due_on.isoformat() if measure.due_on else "",
        "status": measure.status,
        "ally": measure.ally_id or "",
        "threat": measure.threat_id or "",
        "vulnerability": measure.vulnerability_id or "",
        "version": measure.version,
    }
    data = {name: value for name, value in data.items() if value != ""}
    return {**data, **changes}


def test_a_coordinator_gives_a_measure_an_owner_and_a_date(
    client: Client, coordinator: User, staff: User
) -> None:
    measure = MeasureFactory()

    response = sign_in(client, coordinator).post(
        url(measure), form_data(measure, owner=staff.pk, due_on="2030-07-01")
    )

    assert response["Location"] == f"/risks/{measure.situation_id}/"
    saved = Measure.objects.get(pk=measure.pk)
    assert (saved.owner, saved.due_on.isoformat(), saved.version) == (staff, "2030-07-01", 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(measure.pk),
        ["due_on", "owner"],
    )


def test_an_administrator_drops_a_measure(client: Client, administrator: User) -> None:
    measure = MeasureFactory()

    sign_in(client, administrator).post(url(measure), form_data(measure, status="dropped"))

    assert Measure.objects.get(pk=measure.pk).status == "dropped"


def test_the_form_opens_with_what_is_recorded_and_the_look_is_audited(
    client: Client, coordinator: User
) -> None:
    measure = MeasureFactory(version=3)

    response = sign_in(client, coordinator).get(url(measure))

    assert response.status_code == 200
    assert b"Ask the station police liaison to patrol on Thursdays." in response.content
    assert b'name="version" value="3"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "riskassessment.measure",
        str(measure.pk),
    )


def test_an_archived_ally_and_an_earlier_versions_threat_stay_after_an_edit(
    client: Client, coordinator: User
) -> None:
    older = RiskAssessmentFactory(number=1, decision="go", rationale="Fine")
    RiskAssessmentFactory(situation=older.situation, number=2)
    threat = RiskThreatFactory(assessment=older)
    ally = ActorFactory(archived=True, in_directory=False)
    measure = MeasureFactory(situation=older.situation, ally=ally, threat=threat)

    response = sign_in(client, coordinator).post(
        url(measure), form_data(measure, description="Patrols on Fridays too.")
    )

    assert response.status_code == 302
    saved = Measure.objects.get(pk=measure.pk)
    assert (saved.description, saved.ally, saved.threat) == (
        "Patrols on Fridays too.",
        ally,
        threat,
    )


def test_an_owner_who_has_left_stays_until_someone_else_is_chosen(
    client: Client, coordinator: User, staff: User
) -> None:
    former = UserFactory(role=Role.STAFF, is_active=False)
    measure = MeasureFactory(owner=former)
    sign_in(client, coordinator)

    client.post(url(measure), form_data(measure, description="Patrols on Fridays too."))
    kept = Measure.objects.get(pk=measure.pk)
    client.post(url(measure), form_data(kept, owner=staff.pk))
    changed = Measure.objects.get(pk=measure.pk)
    refused = client.post(url(measure), form_data(changed, owner=former.pk))

    assert (kept.description, kept.owner) == ("Patrols on Fridays too.", former)
    assert changed.owner == staff
    assert "owner" in refused.context["form"].errors


def test_a_status_change_meanwhile_is_a_conflict_that_keeps_the_editors_text(
    client: Client, coordinator: User, staff: User
) -> None:
    measure = MeasureFactory(owner=staff)
    opened = form_data(measure)
    sign_in(Client(), staff).post(f"/risks/measures/{measure.pk}/status/", {"status": "done"})

    response = sign_in(client, coordinator).post(
        url(measure), {**opened, "description": "Patrols every night."}
    )

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"Patrols every night." in response.content
    assert b'name="version" value="2"' in response.content
    saved = Measure.objects.get(pk=measure.pk)
    assert (saved.status, saved.version) == ("done", 2)
    assert saved.description == "Ask the station police liaison to patrol on Thursdays."


def test_saving_again_after_a_conflict_keeps_the_editors_version(
    client: Client, coordinator: User, administrator: User
) -> None:
    measure = MeasureFactory()
    opened = form_data(measure)
    sign_in(Client(), administrator).post(url(measure), form_data(measure, kind="build_capacity"))
    sign_in(client, coordinator).post(url(measure), {**opened, "description": "Mine."})

    response = client.post(url(measure), {**opened, "description": "Mine.", "version": "2"})

    assert response.status_code == 302
    saved = Measure.objects.get(pk=measure.pk)
    assert (saved.description, saved.kind, saved.version) == ("Mine.", "reduce_threat", 3)


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    measure = MeasureFactory()

    response = sign_in(client, coordinator).post(
        url(measure),
        form_data(measure, kind="pray", description="Patrols every night.", owner="nobody"),
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"kind", "owner"}
    assert b"Patrols every night." in response.content
    assert Measure.objects.get(pk=measure.pk).version == 1


def test_staff_may_not_edit_even_their_own_measure(client: Client, staff: User) -> None:
    measure = MeasureFactory(owner=staff)
    sign_in(client, staff)

    assert client.get(url(measure)).status_code == 403
    assert client.post(url(measure), form_data(measure, description="Mine")).status_code == 403
    assert Measure.objects.get(pk=measure.pk).version == 1


def test_an_unknown_measure_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.get("/risks/measures/7/edit/").status_code == 404


def test_put_is_refused(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).put(url(MeasureFactory())).status_code == 405
