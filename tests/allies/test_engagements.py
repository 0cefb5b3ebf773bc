from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from allies.models import Actor, Engagement, SharingConsent
from allies.services import NoSharingConsent, engagement_record, engagement_update
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.people.models import Person
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, EngagementFactory, PersonFactory

UNKNOWN_ACTOR = "/allies/00000000-0000-4000-8000-000000000000/engagements/new/"
UNKNOWN_ENGAGEMENT = "/allies/engagements/00000000-0000-4000-8000-000000000000/edit/"
REFUSAL = (
    "{alias} has not consented to sharing their information with this actor. "
    "Record their consent first, or leave the person out."
)


def create_url(actor: Actor) -> str:
    return f"/allies/{actor.pk}/engagements/new/"


def edit_url(engagement: Engagement) -> str:
    return f"/allies/engagements/{engagement.pk}/edit/"


def form_data(**changes: object) -> dict[str, object]:
    data = {
        "date": timezone.localdate().isoformat(),
        "kind": "request",
        "purpose": "A bed for tonight",
        "outcome": "helped",
        "response_hours": "6",
        "notes": "Called at 22:00.",
    }
    return {**data, **changes}


def edit_data(engagement: Engagement, **changes: object) -> dict[str, object]:
    data = {
        "date": engagement.date.isoformat(),
        "kind": engagement.kind,
        "purpose": engagement.purpose,
        "outcome": engagement.outcome,
        "response_hours": engagement.response_hours,
        "person": engagement.person_id or "",
        "notes": engagement.notes,
        "version": engagement.version,
    }
    return {**data, **changes}


def consent(person: Person, actor: Actor, by: User, **fields: object) -> SharingConsent:
    return SharingConsent.objects.create(
        person=person, ally=actor, given_on=timezone.localdate(), recorded_by=by, **fields
    )


def test_a_coordinator_records_a_contact_and_it_is_recorded_by_field_name(
    client: Client, coordinator: User
) -> None:
    actor = ActorFactory()

    response = sign_in(client, coordinator).post(create_url(actor), form_data())

    assert response["Location"] == f"/allies/{actor.pk}/"
    engagement = Engagement.objects.get()
    assert (engagement.actor, engagement.purpose, engagement.recorded_by) == (
        actor,
        "A bed for tonight",
        coordinator,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.object_type, event.object_id) == ("allies.engagement", str(engagement.pk))
    assert event.fields == ["date", "kind", "notes", "outcome", "purpose", "response_hours"]


def test_a_contact_with_an_adversary_can_be_recorded(client: Client, coordinator: User) -> None:
    adversary = AdversaryFactory()

    sign_in(client, coordinator).post(create_url(adversary), form_data(kind="meeting"))

    assert Engagement.objects.get().actor == adversary


def test_a_person_who_has_not_consented_to_sharing_with_this_actor_is_refused(
    client: Client, coordinator: User
) -> None:
    actor, elsewhere = ActorFactory(), ActorFactory()
    person = PersonFactory(alias="Heron")
    consent(person, elsewhere, coordinator)  # a consent to share with someone else

    response = sign_in(client, coordinator).post(
        create_url(actor), form_data(person=str(person.pk), purpose="A bed for Heron")
    )

    assert response.status_code == 200
    assert REFUSAL.format(alias="Heron").encode() in response.content
    assert b'value="A bed for Heron"' in response.content
    assert not Engagement.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_a_person_who_consented_to_sharing_with_this_actor_is_linked(
    client: Client, coordinator: User
) -> None:
    actor, person = ActorFactory(), PersonFactory(alias="Heron")
    consent(person, actor, coordinator)

    response = sign_in(client, coordinator).post(
        create_url(actor), form_data(person=str(person.pk))
    )

    assert response.status_code == 302
    assert Engagement.objects.get().person == person
    assert "person" in AuditEvent.objects.get(action=AuditEvent.Action.CREATE).fields


def test_a_consent_recorded_on_the_sharing_page_lets_the_person_be_linked(
    client: Client, coordinator: User
) -> None:
    actor, person = ActorFactory(), PersonFactory(alias="Heron")
    sign_in(client, coordinator)

    client.post(
        f"/allies/sharing/{person.pk}/",
        {"ally": str(actor.pk), "given_on": timezone.localdate().isoformat()},
    )
    response = client.post(create_url(actor), form_data(person=str(person.pk)))

    assert response.status_code == 302
    assert Engagement.objects.get().person == person


def test_a_withdrawn_consent_refuses_the_person_again(client: Client, coordinator: User) -> None:
    actor, person = ActorFactory(), PersonFactory(alias="Heron")
    consent(person, actor, coordinator, withdrawn_on=timezone.localdate())

    response = sign_in(client, coordinator).post(
        create_url(actor), form_data(person=str(person.pk))
    )

    assert REFUSAL.format(alias="Heron").encode() in response.content
    assert not Engagement.objects.exists()


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_a_contact_cannot_be_dated_in_the_future(client: Client, coordinator: User) -> None:
    actor = ActorFactory()

    response = sign_in(client, coordinator).post(create_url(actor), form_data(date="2026-11-21"))

    assert b"The date cannot be in the future." in response.content
    assert not Engagement.objects.exists()


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    actor = ActorFactory()

    response = sign_in(client, coordinator).post(
        create_url(actor), form_data(purpose="", kind="", notes="Rang twice, no answer")
    )

    assert response.status_code == 200
    assert b"Say in a line what it was about." in response.content
    assert b"Choose what kind of contact it was." in response.content
    assert b"Rang twice, no answer" in response.content
    assert not Engagement.objects.exists()


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_the_form_opens_dated_today(client: Client, coordinator: User) -> None:
    actor = ActorFactory()

    response = sign_in(client, coordinator).get(create_url(actor))

    assert response.status_code == 200
    assert b'name="date" value="2026-11-20"' in response.content


def test_a_coordinator_updates_a_contact_and_the_change_names_fields_only(
    client: Client, coordinator: User
) -> None:
    engagement = EngagementFactory(outcome="pending")

    response = sign_in(client, coordinator).post(
        edit_url(engagement), edit_data(engagement, outcome="helped")
    )

    assert response["Location"] == f"/allies/{engagement.actor_id}/"
    saved = Engagement.objects.get(pk=engagement.pk)
    assert (saved.outcome, saved.version) == ("helped", 2)
    assert AuditEvent.objects.get(action=AuditEvent.Action.CHANGE).fields == ["outcome"]


def test_the_edit_form_carries_the_version_it_was_opened_at(
    client: Client, coordinator: User
) -> None:
    engagement = EngagementFactory(version=3, purpose="A bed for tonight")

    response = sign_in(client, coordinator).get(edit_url(engagement))

    assert b'type="hidden" name="version" value="3"' in response.content
    assert b'value="A bed for tonight"' in response.content


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    engagement = EngagementFactory(outcome="pending", notes="Called at 22:00.")
    sign_in(client, coordinator)
    stale = edit_data(engagement, outcome="declined", notes="They had no bed after all")
    Engagement.objects.filter(pk=engagement.pk).update(version=2)  # someone else saved

    response = client.post(edit_url(engagement), stale)

    assert response.status_code == 200
    assert (
        b"Someone else changed this contact while you were editing. Your changes are below; "
        b"check them and save again."
    ) in response.content
    assert b"They had no bed after all" in response.content
    assert b'name="version" value="2"' in response.content
    saved = Engagement.objects.get(pk=engagement.pk)
    assert (saved.outcome, saved.notes) == ("pending", "Called at 22:00.")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).exists()


def test_an_edit_cannot_link_a_person_without_consent(client: Client, coordinator: User) -> None:
    engagement = EngagementFactory()
    person = PersonFactory(alias="Heron")

    response = sign_in(client, coordinator).post(
        edit_url(engagement), edit_data(engagement, person=str(person.pk))
    )

    assert REFUSAL.format(alias="Heron").encode() in response.content
    assert Engagement.objects.get(pk=engagement.pk).person is None


def test_the_service_refuses_a_person_without_consent(coordinator: User) -> None:
    actor, person = ActorFactory(), PersonFactory()
    engagement = Engagement(
        actor=actor, date=timezone.localdate(), kind="request", purpose="A bed", person=person
    )

    with pytest.raises(NoSharingConsent):
        engagement_record(engagement=engagement, by=coordinator)

    assert not Engagement.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_service_refuses_a_person_whose_consent_was_withdrawn(coordinator: User) -> None:
    engagement = EngagementFactory()
    person = PersonFactory()
    consent(person, engagement.actor, coordinator, withdrawn_on=timezone.localdate())
    engagement.person = person

    with pytest.raises(NoSharingConsent):
        engagement_update(
            engagement=engagement,
            seen_version=engagement.version,
            changed=["person"],
            by=coordinator,
        )

    assert Engagement.objects.get(pk=engagement.pk).person is None


def test_the_service_records_a_person_who_consented(coordinator: User) -> None:
    actor, person = ActorFactory(), PersonFactory()
    consent(person, actor, coordinator)
    engagement = Engagement(
        actor=actor, date=timezone.localdate(), kind="request", purpose="A bed", person=person
    )

    engagement_record(engagement=engagement, by=coordinator)

    assert Engagement.objects.get().person == person


def test_staff_may_not_record_or_update_contacts(client: Client, staff: User) -> None:
    engagement = EngagementFactory(purpose="A bed for tonight")
    sign_in(client, staff)

    # They see the ally, so its pages answer by role; contacts are coordinators' records, which
    # staff never see, so a contact's pages are not there for them.
    assert client.get(create_url(engagement.actor)).status_code == 403
    assert client.post(create_url(engagement.actor), form_data()).status_code == 403
    edit = client.get(edit_url(engagement))
    assert edit.status_code == 404 and b"A bed for tonight" not in edit.content
    assert b"We could not find that page" in edit.content
    assert (
        client.post(edit_url(engagement), edit_data(engagement, outcome="declined")).status_code
        == 404
    )
    assert list(Engagement.objects.values_list("outcome", flat=True)) == ["helped"]


def test_unknown_actors_and_contacts_are_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN_ACTOR).status_code == 404
    assert client.get(UNKNOWN_ENGAGEMENT).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client: Client, coordinator: User, method: str) -> None:
    engagement = EngagementFactory()
    sign_in(client, coordinator)

    assert getattr(client, method)(create_url(engagement.actor)).status_code == 405
    assert getattr(client, method)(edit_url(engagement)).status_code == 405
    assert Engagement.objects.count() == 1


def test_a_person_archived_since_they_were_linked_stays_linked(
    client: Client, coordinator: User
) -> None:
    person = PersonFactory(alias="Heron")
    engagement = EngagementFactory(person=person, outcome="pending")
    consent(person, engagement.actor, coordinator)
    Person.objects.filter(pk=person.pk).update(archived_at=timezone.now())
    sign_in(client, coordinator)

    page = client.get(edit_url(engagement))
    client.post(edit_url(engagement), edit_data(engagement, outcome="helped"))

    assert f'name="person" value="{person.pk}" checked>Heron</label>'.encode() in page.content
    saved = Engagement.objects.get(pk=engagement.pk)
    assert (saved.outcome, saved.person) == ("helped", person)


def test_a_consent_withdrawn_since_does_not_block_updating_the_outcome(
    client: Client, coordinator: User
) -> None:
    actor, person = ActorFactory(), PersonFactory(alias="Heron")
    given = consent(person, actor, coordinator)
    engagement = EngagementFactory(actor=actor, person=person, outcome="pending")
    given.withdrawn_on = timezone.localdate()
    given.save()

    response = sign_in(client, coordinator).post(
        edit_url(engagement), edit_data(engagement, outcome="helped")
    )

    assert response.status_code == 302
    assert Engagement.objects.get(pk=engagement.pk).outcome == "helped"


def test_a_contact_dated_before_the_consent_cannot_name_the_person(
    client: Client, coordinator: User
) -> None:
    actor, person = ActorFactory(), PersonFactory(alias="Heron")
    consent(person, actor, coordinator)
    yesterday = timezone.localdate() - timedelta(days=1)

    response = sign_in(client, coordinator).post(
        create_url(actor), form_data(person=person.pk, date=yesterday.isoformat())
    )

    assert REFUSAL.format(alias="Heron") in response.content.decode()
    assert not Engagement.objects.exists()


def test_an_ally_turned_adversary_loses_every_consent_and_cannot_be_sent_a_name(
    client: Client, coordinator: User
) -> None:
    actor, person = ActorFactory(), PersonFactory(alias="Heron")
    consent(person, actor, coordinator)
    sign_in(client, coordinator)
    turned = {
        "name": actor.name,
        "kind": actor.kind,
        "sector": actor.sector,
        "stance": "adversary",
        "power": actor.power,
        "version": actor.version,
    }

    client.post(f"/allies/{actor.pk}/edit/", turned)
    response = client.post(create_url(actor), form_data(person=person.pk))

    assert SharingConsent.objects.get().withdrawn_on == timezone.localdate()
    assert REFUSAL.format(alias="Heron") in response.content.decode()
    assert not Engagement.objects.exists()
    withdrawn = AuditEvent.objects.filter(action=AuditEvent.Action.REVOKE)
    assert withdrawn.count() == 1


def test_opening_a_contact_to_update_it_is_recorded(client: Client, coordinator: User) -> None:
    engagement = EngagementFactory()

    sign_in(client, coordinator).get(edit_url(engagement))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.object_type, event.object_id) == ("allies.engagement", str(engagement.pk))


def test_no_new_contact_with_an_archived_actor(client: Client, coordinator: User) -> None:
    actor = ActorFactory(archived=True, in_directory=False)

    response = sign_in(client, coordinator).post(create_url(actor), form_data())

    assert response.status_code == 404
    assert not Engagement.objects.exists()
