from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from riskassessment.models import RiskSituation
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from tests.conftest import one_event_opening, sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    IncidentFactory,
    MeasureFactory,
    PlaceFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    ThreatAssessmentFactory,
    UserFactory,
)

UNKNOWN = "/risks/00000000-0000-4000-8000-000000000000/plan/"


def url(situation: RiskSituation) -> str:
    return f"/risks/{situation.pk}/plan/"


def planned(**kwargs: object) -> RiskSituation:
    """A decided situation at a place, with a threat from a known crew and a measure."""
    situation = RiskSituationFactory(place=PlaceFactory(name="Central station"), **kwargs)
    assessment = RiskAssessmentFactory(
        situation=situation, decision="go_with_measures", rationale="Worth it with two of us."
    )
    RiskThreatFactory(
        assessment=assessment,
        description="The crew's men follow us home.",
        source=AdversaryFactory(name="Blue Door Crew"),
    )
    return situation


def test_a_participant_opens_the_plan_for_the_activity(
    client: Client, staff: User, coordinator: User
) -> None:
    situation = planned(participants=[staff], check_in_with=coordinator)
    MeasureFactory(situation=situation, owner=staff, description="Walk to the bus in pairs.")

    response = sign_in(client, staff).get(url(situation))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Safety plan: Thursday night outreach at the station" in page
    assert "Reach women recruited at the station and offer them a way out." in page
    assert "Central station" in page
    assert "<strong>Go with measures</strong>" in page
    assert "Worth it with two of us." in page
    assert "The crew&#x27;s men follow us home." in page
    measures = page[page.index("Measures and who does them") : page.index('id="plan-checkins"')]
    assert "Walk to the bus in pairs." in measures and staff.shown_name in measures
    check_ins = page[page.index('id="plan-checkins"') : page.index('id="plan-contacts"')]
    assert "On arrival, every two hours, and once home." in check_ins
    assert "After 30 minutes Rosa calls; after an hour she calls the shelter." in check_ins
    assert coordinator.shown_name in check_ins


def test_opening_it_is_recorded_as_an_export(client: Client, staff: User) -> None:
    situation = planned(participants=[staff])
    place = situation.place
    assert place is not None

    # One event for the response: the export, naming what the printed plan shows.
    event = one_event_opening(sign_in(client, staff), url(situation))

    assert (event.action, event.actor, event.object_type, event.object_id) == (
        AuditEvent.Action.EXPORT,
        staff,
        "riskassessment.risksituation",
        str(situation.pk),
    )
    assert f"places.place:{place.pk}" in (event.shown or [])


def test_a_head_request_takes_nothing_out_and_records_nothing(client: Client, staff: User) -> None:
    # A server sends no body for HEAD (gunicorn drops it, as the test client does): nothing of
    # the plan leaves, as for any page (safespaces.audit.disclosure.shows_content).
    situation = planned(participants=[staff])
    sign_in(client, staff)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    head = client.head(url(situation))

    assert (head.status_code, head.content) == (200, b"")
    assert not AuditEvent.objects.exclude(pk__in=before).exists()
    assert one_event_opening(client, url(situation)).action == AuditEvent.Action.EXPORT


def test_staff_never_see_who_a_threat_comes_from_when_they_may_not_see_it(
    client: Client, staff: User
) -> None:
    situation = planned(participants=[staff])

    response = sign_in(client, staff).get(url(situation))

    assert response.status_code == 200
    assert b"The crew&#x27;s men follow us home." in response.content
    assert b"Blue Door Crew" not in response.content


def test_staff_never_see_a_measures_ally_that_has_since_become_an_adversary(
    client: Client, staff: User, coordinator: User
) -> None:
    situation = planned(participants=[staff])
    MeasureFactory(situation=situation, ally=AdversaryFactory(name="Officer Kovacs"))

    as_staff = sign_in(client, staff).get(url(situation))
    as_coordinator = sign_in(Client(), coordinator).get(url(situation))

    assert b"Ask the station police liaison" in as_staff.content
    assert b"Officer Kovacs" not in as_staff.content
    assert b"Officer Kovacs" in as_coordinator.content


def test_the_owner_of_one_of_its_measures_opens_it_too(client: Client, staff: User) -> None:
    situation = planned()
    MeasureFactory(situation=situation, owner=staff)

    assert sign_in(client, staff).get(url(situation)).status_code == 200


def test_other_staff_get_404(client: Client, staff: User, other_staff: User) -> None:
    situation = planned(participants=[staff])
    MeasureFactory(situation=situation, owner=staff)

    response = sign_in(client, other_staff).get(url(situation))

    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert b"Thursday night" not in response.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_coordinators_and_administrators_open_any_plan(
    client: Client, coordinator: User, administrator: User
) -> None:
    situation = planned()

    assert sign_in(client, coordinator).get(url(situation)).status_code == 200
    assert sign_in(Client(), administrator).get(url(situation)).status_code == 200


def test_the_emergency_contacts_are_the_directorys_allies_for_the_place(
    client: Client, coordinator: User
) -> None:
    situation = planned()
    ActorFactory(name="Harbour Shelter", areas=[situation.place])
    ActorFactory(name="Everywhere Legal", capabilities=["legal_aid"], serves_everywhere=True)
    ActorFactory(name="Far Away Shelter", areas=[PlaceFactory()])
    ActorFactory(name="Loud Media", capabilities=["media"], serves_everywhere=True)
    ActorFactory(name="Unlisted Clinic", capabilities=["medical"], in_directory=False)

    page = sign_in(client, coordinator).get(url(situation)).content.decode()

    contacts = page[page.index("Emergency contacts") :]
    assert "Harbour Shelter" in contacts and "Everywhere Legal" in contacts
    assert "+44 7700 900123" in contacts
    for name in ("Far Away Shelter", "Loud Media", "Unlisted Clinic", "Blue Door Crew"):
        assert name not in contacts


def test_the_plan_names_the_three_most_trusted_for_each_need_and_how_many_more(
    client: Client, coordinator: User
) -> None:
    situation = planned()
    for trust in (5, 4, 3, 2, 1):
        ActorFactory(name=f"Shelter trusted {trust}", trust=trust, areas=[situation.place])

    response = sign_in(client, coordinator).get(url(situation))

    assert response.status_code == 200
    contacts = response.content.decode()[response.content.decode().index("Emergency contacts") :]
    named = [f"Shelter trusted {trust}" in contacts for trust in (5, 4, 3, 2, 1)]
    assert named == [True, True, True, False, False]
    assert "2 more allies offer this" in contacts
    assert f"?capability=shelter&amp;area={situation.place.pk}" in contacts


def test_the_top_five_threats_come_first_and_dropped_measures_are_left_out(
    client: Client, coordinator: User
) -> None:
    situation = RiskSituationFactory()
    assessment = RiskAssessmentFactory(situation=situation)
    for score in (1, 2, 3, 4, 5, 5):
        RiskThreatFactory(
            assessment=assessment, description=f"Threat rated {score}", likelihood=score, impact=1
        )
    RiskThreatFactory(
        assessment=assessment,
        description="Threat rated 5, 1 after the measures",
        likelihood=5,
        impact=5,
        residual_likelihood=1,
        residual_impact=1,
    )
    MeasureFactory(situation=situation, description="Given up", status="dropped")
    MeasureFactory(situation=situation, description="Done already", status="done")

    response = sign_in(client, coordinator).get(url(situation))

    shown = [threat.description for threat in response.context["top_threats"]]
    assert response.status_code == 200
    assert shown == [f"Threat rated {score}" for score in (5, 5, 4, 3, 2)]
    assert b"Given up" not in response.content
    assert b"Done already" in response.content


def test_a_plan_before_any_assessment_says_so(client: Client, coordinator: User) -> None:
    situation = RiskSituationFactory()

    response = sign_in(client, coordinator).get(url(situation))

    assert response.status_code == 200
    assert b"Not decided yet." in response.content
    assert b"No measures yet." in response.content


def test_the_number_of_queries_does_not_grow_with_threats_and_measures(
    client: Client, coordinator: User
) -> None:
    def situation_with(n: int) -> RiskSituation:
        situation = planned(participants=UserFactory.create_batch(n, role=Role.STAFF))
        assessment = situation.assessments.get()
        for threat in RiskThreatFactory.create_batch(n, assessment=assessment):
            # A linked incident found likely: the plan reads the links too.
            ThreatAssessmentFactory(incident=(incident := IncidentFactory()), conclusion="likely")
            threat.linked_incidents.set([incident])
        for _ in range(n):
            MeasureFactory(situation=situation, owner=UserFactory(), ally=ActorFactory())
            ActorFactory(areas=[situation.place])
        return situation

    def queries(situation: RiskSituation) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(situation)).status_code == 200
        return len(captured)

    sign_in(client, coordinator)
    small, large = situation_with(2), situation_with(20)
    queries(small)

    assert queries(small) == queries(large)
    # And how many, so that one more shows: 21 on Postgres, where the audit trail is sealed once
    # the response is sent; on SQLite it is sealed in the request's transaction, five more.
    assert queries(large) <= (26 if connection.vendor == "sqlite" else 21)


def test_an_unknown_or_malformed_code_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.get("/risks/plan/plan/").status_code == 404


def test_an_account_without_a_role_is_refused(client: Client, db: None) -> None:
    nobody = UserFactory()
    situation = planned(participants=[nobody])

    # Without a role they may see no situation, even one they were named in.
    response = sign_in(client, nobody).get(url(situation))

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, db: None) -> None:
    situation = planned()

    assert client.get(url(situation))["Location"] == "/login/"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_post_is_refused(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).post(url(planned())).status_code == 405


def test_an_expired_decision_and_overdue_measures_are_flagged(client: Client, staff: User) -> None:
    situation = planned(participants=[staff])
    situation.assessments.update(valid_until=timezone.localdate() - timedelta(days=1))
    MeasureFactory(situation=situation, due_on=timezone.localdate() - timedelta(days=1))

    content = sign_in(client, staff).get(url(situation)).content.decode()

    assert "This decision has expired: ask a coordinator to reassess" in content
    assert "overdue</strong>" in content


def test_the_plan_says_which_help_no_ally_gives_near_the_place(
    client: Client, coordinator: User, staff: User
) -> None:
    situation = planned()
    situation.participants.set([staff])
    ActorFactory(name="Harbour Shelter", capabilities=["shelter"], areas=[situation.place])

    for_coordinator = sign_in(client, coordinator).get(url(situation)).content.decode()
    for_staff = sign_in(Client(), staff).get(url(situation)).content.decode()

    assert "Harbour Shelter" in for_coordinator
    assert "No ally listed for “Medical” near this place." in for_coordinator
    assert "No ally listed for “Relocation or visas” near this place." in for_coordinator
    assert "No ally listed for “Shelter”" not in for_coordinator
    assert 'href="/allies/gaps/"' in for_coordinator
    assert "No ally listed for “Medical” near this place." in for_staff
    assert "Ask a coordinator who to call." in for_staff
    assert 'href="/allies/gaps/"' not in for_staff
