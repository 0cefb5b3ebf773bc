import uuid

from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.people.models import SharingConsent
from safespaces.people.selectors import may_share_with
from tests.factories import PersonFactory


def test_data_may_go_only_to_allies_the_person_consented_to(coordinator: User) -> None:
    person, ally, other_ally = PersonFactory(), uuid.uuid4(), uuid.uuid4()
    SharingConsent.objects.create(
        person=person, ally_code=ally, given_on=timezone.localdate(), recorded_by=coordinator
    )

    assert may_share_with(person, ally)
    assert not may_share_with(person, other_ally)


def test_a_withdrawn_consent_no_longer_counts(coordinator: User) -> None:
    person, ally = PersonFactory(), uuid.uuid4()
    SharingConsent.objects.create(
        person=person,
        ally_code=ally,
        given_on=timezone.localdate(),
        recorded_by=coordinator,
        withdrawn_on=timezone.localdate(),
    )

    assert not may_share_with(person, ally)
