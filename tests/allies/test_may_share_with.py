from django.utils import timezone

from allies.models import SharingConsent
from allies.selectors import may_share_with
from safespaces.accounts.models import User
from tests.factories import ActorFactory, PersonFactory


def test_data_may_go_only_to_allies_the_person_consented_to(coordinator: User) -> None:
    person, ally, other_ally = PersonFactory(), ActorFactory(), ActorFactory()
    SharingConsent.objects.create(
        person=person, ally=ally, given_on=timezone.localdate(), recorded_by=coordinator
    )

    assert may_share_with(person, ally)
    assert not may_share_with(person, other_ally)


def test_a_withdrawn_consent_no_longer_counts(coordinator: User) -> None:
    person, ally = PersonFactory(), ActorFactory()
    SharingConsent.objects.create(
        person=person,
        ally=ally,
        given_on=timezone.localdate(),
        recorded_by=coordinator,
        withdrawn_on=timezone.localdate(),
    )

    assert not may_share_with(person, ally)
