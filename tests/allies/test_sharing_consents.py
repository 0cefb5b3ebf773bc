import html
import re
from datetime import date

import time_machine
from django.test import Client
from django.utils import timezone

from allies.models import Actor, SharingConsent
from allies.selectors import consenting_people, may_share_with
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.people.models import ErasureRequest, Person
from safespaces.people.services import erasure_approve
from tests.conftest import sign_in
from tests.factories import ActorFactory, AdversaryFactory, PersonFactory

UNKNOWN_PERSON = "/allies/sharing/00000000-0000-4000-8000-000000000000/"
UNKNOWN_CONSENT = "/allies/sharing/consents/00000000-0000-4000-8000-000000000000/withdraw/"


def url(person: Person) -> str:
    return f"/allies/sharing/{person.pk}/"


def withdraw_url(consent: SharingConsent) -> str:
    return f"/allies/sharing/consents/{consent.pk}/withdraw/"


def consent(person: Person, ally: Actor, by: User, **fields: object) -> SharingConsent:
    return SharingConsent.objects.create(
        person=person, ally=ally, recorded_by=by, **{"given_on": date(2026, 3, 2), **fields}
    )


def test_the_page_lists_the_persons_consents(client: Client, coordinator: User) -> None:
    person = PersonFactory(alias="Heron")
    harbour = ActorFactory(name="Harbour Shelter")
    clinic = ActorFactory(name="Quay Clinic")
    consent(person, harbour, coordinator, given_on=date(2026, 3, 2))
    consent(person, clinic, coordinator, given_on=date(2026, 1, 5), withdrawn_on=date(2026, 2, 1))
    consent(PersonFactory(), ActorFactory(name="Someone Else's Ally"), coordinator)

    response = sign_in(client, coordinator).get(url(person))

    assert response.status_code == 200
    assert b"Who Heron agreed to share with" in response.content
    listed = response.content.split(b"Record a consent")[0]  # the table, not the form's choices
    assert b"Harbour Shelter" in listed and b"2 Mar 2026" in listed
    assert b"Quay Clinic" in listed and b"1 Feb 2026" in listed
    assert b"Someone Else" not in listed
    assert listed.count(b"/withdraw/") == 1  # only the standing consent


def test_a_coordinator_records_a_consent_and_it_is_audited_as_a_grant(
    client: Client, coordinator: User
) -> None:
    person, ally = PersonFactory(), ActorFactory()

    response = sign_in(client, coordinator).post(
        url(person), {"ally": str(ally.pk), "given_on": "2026-03-02"}
    )

    assert response["Location"] == url(person)
    saved = SharingConsent.objects.get()
    assert (saved.person, saved.ally, saved.given_on, saved.recorded_by) == (
        person,
        ally,
        date(2026, 3, 2),
        coordinator,
    )
    assert may_share_with(person, ally)
    event = AuditEvent.objects.get(action=AuditEvent.Action.GRANT)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "allies.sharingconsent",
        str(saved.pk),
    )


def test_a_neutral_actor_may_be_chosen(client: Client, coordinator: User) -> None:
    person = PersonFactory()
    neutral = ActorFactory(stance="neutral", trust=None, in_directory=False)

    sign_in(client, coordinator).post(
        url(person), {"ally": str(neutral.pk), "given_on": "2026-03-02"}
    )

    assert may_share_with(person, neutral)


def test_an_adversary_is_never_offered_nor_accepted(client: Client, coordinator: User) -> None:
    person = PersonFactory()
    adversary = AdversaryFactory(name="Blue Door Crew")
    ally = ActorFactory(name="Harbour Shelter")
    neutral = ActorFactory(name="Town Hall", stance="neutral", trust=None, in_directory=False)
    sign_in(client, coordinator)

    page = client.get(url(person))
    found = client.post(url(person), {"given_on": "2026-03-02", "find": "ally"})
    picker = re.search(r'data-picker="([^"]+)"', page.content.decode())
    assert picker is not None
    searched = client.post(html.unescape(picker.group(1)), {"name": "ally", "q": ""})
    response = client.post(url(person), {"ally": str(adversary.pk), "given_on": "2026-03-02"})

    # The form lists no actor: "Find" shows those one may share with, as does the picker's search.
    assert page.status_code == found.status_code == searched.status_code == 200
    assert b"Harbour Shelter" not in page.content and b'name="ally_find"' in page.content
    for offered in (found, searched):
        assert b"Harbour Shelter (Ally)" in offered.content
        assert f'value="{neutral.pk}"'.encode() in offered.content
        assert b"Blue Door Crew" not in offered.content
        assert f'value="{adversary.pk}"'.encode() not in offered.content
    assert f'value="{ally.pk}"'.encode() in found.content
    assert b"Select a valid choice." in response.content
    assert not SharingConsent.objects.exists()


def test_an_archived_actor_is_not_offered(client: Client, coordinator: User) -> None:
    person = PersonFactory()
    old = ActorFactory(archived=True, in_directory=False)

    response = sign_in(client, coordinator).post(
        url(person), {"ally": str(old.pk), "given_on": "2026-03-02"}
    )

    assert b"Select a valid choice." in response.content
    assert not SharingConsent.objects.exists()


def test_a_consent_already_on_record_is_refused(client: Client, coordinator: User) -> None:
    person, ally = PersonFactory(), ActorFactory()
    consent(person, ally, coordinator)

    response = sign_in(client, coordinator).post(
        url(person), {"ally": str(ally.pk), "given_on": "2026-03-02"}
    )

    assert response.status_code == 200
    assert b"Their consent to share with this actor is on record." in response.content
    assert SharingConsent.objects.count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.GRANT).exists()


def test_consent_can_be_given_again_after_it_was_withdrawn(
    client: Client, coordinator: User
) -> None:
    person, ally = PersonFactory(), ActorFactory()
    consent(person, ally, coordinator, withdrawn_on=date(2026, 2, 1))

    response = sign_in(client, coordinator).post(
        url(person), {"ally": str(ally.pk), "given_on": "2026-03-02"}
    )

    assert response.status_code == 302
    assert may_share_with(person, ally)


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_bad_input_is_explained(client: Client, coordinator: User) -> None:
    person, ally = PersonFactory(), ActorFactory()
    sign_in(client, coordinator)

    future = client.post(url(person), {"ally": str(ally.pk), "given_on": "2026-11-21"})
    empty = client.post(url(person), {"ally": "", "given_on": ""})

    assert b"The date cannot be in the future." in future.content
    assert b"Choose who they agreed to share with." in empty.content
    assert b"Give the date they consented." in empty.content
    assert not SharingConsent.objects.exists()


@time_machine.travel("2026-11-20 12:00", tick=False)
def test_withdrawing_stops_sharing_and_is_audited_as_a_revoke(
    client: Client, coordinator: User
) -> None:
    person, ally = PersonFactory(), ActorFactory()
    given = consent(person, ally, coordinator)

    response = sign_in(client, coordinator).post(withdraw_url(given))

    assert response["Location"] == url(person)
    assert SharingConsent.objects.get(pk=given.pk).withdrawn_on == timezone.localdate()
    assert not may_share_with(person, ally)
    event = AuditEvent.objects.get(action=AuditEvent.Action.REVOKE)
    assert (event.actor, event.object_type, event.object_id) == (
        coordinator,
        "allies.sharingconsent",
        str(given.pk),
    )


def test_a_consent_is_withdrawn_once(client: Client, coordinator: User) -> None:
    given = consent(PersonFactory(), ActorFactory(), coordinator)
    sign_in(client, coordinator)

    client.post(withdraw_url(given))
    again = client.post(withdraw_url(given))

    assert again.status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVOKE).count() == 1


def test_a_consent_is_withdrawn_by_post_only(client: Client, coordinator: User) -> None:
    person, ally = PersonFactory(), ActorFactory()
    given = consent(person, ally, coordinator)
    sign_in(client, coordinator)

    assert client.get(withdraw_url(given)).status_code == 405
    assert client.delete(withdraw_url(given)).status_code == 405
    assert may_share_with(person, ally)


def test_staff_may_not_see_record_or_withdraw_consents(client: Client, staff: User) -> None:
    person, ally = PersonFactory(), ActorFactory(name="Harbour Shelter")
    given = consent(person, ally, staff)
    sign_in(client, staff)

    page = client.get(url(person))
    recorded = client.post(url(person), {"ally": str(ActorFactory().pk), "given_on": "2026-03-02"})
    withdrawn = client.post(withdraw_url(given))

    # They see the person's alias, so the person's page answers by role; consents they never
    # see, so a consent's address is not there for them.
    assert page.status_code == 403 and b"Harbour Shelter" not in page.content
    assert b"This page is not for your role" in page.content
    assert recorded.status_code == 403 and withdrawn.status_code == 404
    assert list(SharingConsent.objects.all()) == [given]
    assert may_share_with(person, ally)


def test_unknown_people_and_consents_are_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN_PERSON).status_code == 404
    assert client.post(UNKNOWN_CONSENT).status_code == 404


def test_an_erased_person_is_not_found(client: Client, coordinator: User) -> None:
    person = PersonFactory(erased_at=timezone.now())

    assert sign_in(client, coordinator).get(url(person)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, coordinator: User) -> None:
    person = PersonFactory()
    given = consent(person, ActorFactory(), coordinator)

    assert client.get(url(person))["Location"] == "/login/"
    assert client.post(withdraw_url(given))["Location"] == "/login/"
    assert may_share_with(person, given.ally)


def test_the_page_refuses_other_methods(client: Client, coordinator: User) -> None:
    person = PersonFactory()

    assert sign_in(client, coordinator).put(url(person)).status_code == 405


def test_opening_the_page_shows_in_the_persons_access_report(
    client: Client, coordinator: User
) -> None:
    person = PersonFactory()

    sign_in(client, coordinator).get(url(person))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.object_type, event.object_id) == ("people.person", str(person.pk))


def test_an_actor_of_unknown_stance_is_never_offered(client: Client, coordinator: User) -> None:
    unknown = ActorFactory(stance="unknown", trust=None, in_directory=False)
    person = PersonFactory()

    response = sign_in(client, coordinator).post(
        url(person), {"ally": unknown.pk, "given_on": "2026-01-05"}
    )

    assert str(unknown.pk) not in client.get(url(person)).content.decode()
    assert b"Select a valid choice" in response.content
    assert not SharingConsent.objects.exists()


def test_consents_given_and_withdrawn_show_in_the_persons_access_report(
    client: Client, coordinator: User, administrator: User
) -> None:
    person, ally = PersonFactory(), ActorFactory()
    sign_in(client, coordinator).post(url(person), {"ally": str(ally.pk), "given_on": "2026-03-02"})
    client.post(withdraw_url(SharingConsent.objects.get()))

    report = sign_in(Client(), administrator).get(f"/people/{person.pk}/access/")

    assert report.status_code == 200
    changes = [e.fields for e in report.context["page"] if e.action == AuditEvent.Action.CHANGE]
    assert changes == [["sharing_consents"], ["sharing_consents"]]


def test_erasing_the_person_removes_their_consents_and_no_one_elses(
    coordinator: User, administrator: User
) -> None:
    person, other, ally = PersonFactory(), PersonFactory(), ActorFactory()
    consent(person, ally, coordinator)
    consent(person, ActorFactory(), coordinator, withdrawn_on=date(2026, 4, 1))
    kept = consent(other, ally, coordinator)
    request = ErasureRequest.objects.create(person=person, reason="Asked", requested_by=coordinator)

    erasure_approve(request=request, by=administrator)

    assert list(SharingConsent.objects.all()) == [kept]
    assert consenting_people(ally) == [other]
