from datetime import date

import time_machine
from django.test import Client
from django.utils import timezone

from allies.models import Actor, SharingConsent
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    EngagementFactory,
    PersonFactory,
    RelationFactory,
)

UNKNOWN = "/allies/00000000-0000-4000-8000-000000000000/"


def url(actor: Actor) -> str:
    return f"/allies/{actor.pk}/"


def test_staff_never_see_an_adversary(client: Client, staff: User) -> None:
    adversary = AdversaryFactory(name="Blue Door Crew")

    response = sign_in(client, staff).get(url(adversary))

    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert b"Blue Door Crew" not in response.content


def test_staff_never_see_a_neutral_actor(client: Client, staff: User) -> None:
    neutral = ActorFactory(name="City Council", stance="neutral", trust=None, in_directory=False)

    response = sign_in(client, staff).get(url(neutral))

    assert response.status_code == 404
    assert b"We could not find that page" in response.content
    assert b"City Council" not in response.content


def test_staff_never_see_an_archived_ally(client: Client, staff: User) -> None:
    ally = ActorFactory(archived=True, in_directory=False)

    assert sign_in(client, staff).get(url(ally)).status_code == 404


def test_staff_see_a_directory_allys_contacts_but_not_what_coordinators_keep(
    client: Client, staff: User
) -> None:
    ally = ActorFactory(
        name="Harbour Shelter",
        contact_person="Mira",
        phone="+44 7700 900123",
        notes="Will take people at night if called first.",
        trust=4,
    )
    EngagementFactory(actor=ally, purpose="A bed for tonight")

    response = sign_in(client, staff).get(url(ally))

    assert response.status_code == 200
    assert b"Harbour Shelter" in response.content
    assert b"Mira" in response.content and b"+44 7700 900123" in response.content
    assert b"Will take people at night" not in response.content
    assert b"Trust" not in response.content and b"4 / 5" not in response.content
    assert b"A bed for tonight" not in response.content
    assert b"Record when we asked" not in response.content
    assert b"/edit/" not in response.content


def test_staff_do_not_see_the_contacts_of_an_ally_outside_the_directory(
    client: Client, staff: User
) -> None:
    ally = ActorFactory(
        name="Quiet Clinic",
        in_directory=False,
        contact_person="Dr Okafor",
        phone="+44 7700 900999",
        email="okafor@clinic.example",
        messenger="Signal +44 7700 900998",
        address="3 Back Street",
    )

    response = sign_in(client, staff).get(url(ally))

    assert response.status_code == 200
    assert b"Quiet Clinic" in response.content
    for secret in ["Dr Okafor", "900999", "okafor@clinic.example", "900998", "3 Back Street"]:
        assert secret.encode() not in response.content
    assert b"Coordinators keep the contact details" in response.content


def test_viewing_as_staff_is_recorded_since_the_name_is_shown(client: Client, staff: User) -> None:
    ally = ActorFactory()

    response = sign_in(client, staff).get(url(ally))

    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id) == (
        staff,
        "allies.actor",
        str(ally.code),
    )


def test_a_coordinator_sees_notes_engagements_record_relations_and_the_view_is_recorded(
    client: Client, coordinator: User
) -> None:
    ally = ActorFactory(name="Harbour Shelter", notes="Will take people at night if called first.")
    adversary = AdversaryFactory(name="Blue Door Crew")
    RelationFactory(source=adversary, kind="conflict", target=ally)
    EngagementFactory(actor=ally, purpose="A bed for tonight", outcome="helped", response_hours=6)
    EngagementFactory(actor=ally, purpose="A lawyer on Monday", outcome="declined")

    response = sign_in(client, coordinator).get(url(ally))

    assert b"Will take people at night if called first." in response.content
    assert b"A bed for tonight" in response.content and b"A lawyer on Monday" in response.content
    assert b"Asked 2 times" in response.content
    assert b"Helped 1, partly 0, declined 1, no response 0, pending 0." in response.content
    assert b"They usually answer within 6 hours." in response.content
    assert b"Blue Door Crew" in response.content
    assert '<span class="relation-kind">conflict</span>' in response.content.decode()
    assert b"Trust" in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_type, event.object_id, event.fields) == (
        coordinator,
        "allies.actor",
        str(ally.pk),
        [],
    )


def test_a_coordinator_sees_an_adversary_and_its_contacts(
    client: Client, coordinator: User
) -> None:
    adversary = AdversaryFactory(name="Blue Door Crew", phone="+44 7700 900555")

    response = sign_in(client, coordinator).get(url(adversary))

    assert response.status_code == 200
    assert b"Blue Door Crew" in response.content and b"+44 7700 900555" in response.content


def test_a_coordinator_sees_who_consented_to_sharing_with_the_actor(
    client: Client, coordinator: User
) -> None:
    ally = ActorFactory()
    consenting, withdrawn = PersonFactory(alias="Heron"), PersonFactory(alias="Kestrel")
    for person, withdrawn_on in [(consenting, None), (withdrawn, timezone.localdate())]:
        SharingConsent.objects.create(
            person=person,
            ally=ally,
            given_on=timezone.localdate(),
            recorded_by=coordinator,
            withdrawn_on=withdrawn_on,
        )

    response = sign_in(client, coordinator).get(url(ally))

    assert response.status_code == 200
    assert b"Heron" in response.content
    assert b"Kestrel" not in response.content


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_details_never_checked_carry_a_warning(client: Client, staff: User) -> None:
    ally = ActorFactory(last_verified=None)

    response = sign_in(client, staff).get(url(ally))

    assert b"Nobody has checked these details yet." in response.content


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_details_checked_more_than_183_days_ago_carry_a_warning(
    client: Client, staff: User
) -> None:
    ally = ActorFactory(last_verified=date(2026, 5, 20))  # 184 days before

    response = sign_in(client, staff).get(url(ally))

    assert b"These details were last checked on 20 May 2026, more than six months ago." in (
        response.content
    )


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_details_checked_183_days_ago_carry_no_warning(client: Client, staff: User) -> None:
    ally = ActorFactory(last_verified=date(2026, 5, 21))

    response = sign_in(client, staff).get(url(ally))

    assert response.status_code == 200
    assert f"<h1>{ally.name}</h1>".encode() in response.content
    assert b"last checked on" not in response.content
    assert b"Nobody has checked" not in response.content


def test_an_unknown_actor_is_not_found(client: Client, coordinator: User) -> None:
    assert sign_in(client, coordinator).get(UNKNOWN).status_code == 404


def test_the_page_only_answers_reads(client: Client, coordinator: User) -> None:
    ally = ActorFactory()

    assert sign_in(client, coordinator).post(url(ally)).status_code == 405
