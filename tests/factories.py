"""factory_boy factories for the platform's models."""

from datetime import timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role

PASSWORD = "a long test password"


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a role and a confirmed authenticator unless told otherwise."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"Test person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: Role | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted.value))

    @factory.post_generation
    def authenticator(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            TOTPDevice.objects.create(user=self, name="authenticator", confirmed=True)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: object = None) -> None:
        if create:
            instance.save()


class PersonFactory(factory.django.DjangoModelFactory):
    """A person with every identity field filled."""

    class Meta:
        model = "people.Person"

    alias = factory.Sequence(lambda n: f"Swallow {n}")
    relation = "member"
    legal_name = factory.Sequence(lambda n: f"Legal Name {n}")
    phone = "+44 7700 900123"
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    address = "12 Example Road"
    messenger = "@signal-handle"
    emergency_contact = "Aunt, +44 7700 900456"
    survivor_status = "survivor"
    notes = "Prefers morning calls."


class IdentityGrantFactory(factory.django.DjangoModelFactory):
    """An active grant for one person, for seven days."""

    class Meta:
        model = "people.IdentityGrant"

    user = factory.SubFactory(UserFactory)
    person = factory.SubFactory(PersonFactory)
    reason = "Accompanying her to court"
    granted_by = factory.SubFactory(UserFactory)
    granted_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ErasureRequestFactory(factory.django.DjangoModelFactory):
    """A pending request to erase a person."""

    class Meta:
        model = "people.ErasureRequest"

    person = factory.SubFactory(PersonFactory)
    reason = "Asked by the person"
    requested_by = factory.SubFactory(UserFactory)


class PlaceFactory(factory.django.DjangoModelFactory):
    """A shelter with a name, an address and notes."""

    class Meta:
        model = "places.Place"

    kind = "shelter"
    name = factory.Sequence(lambda n: f"Safe House {n}")
    address = "7 Hidden Lane, Northtown"
    notes = "Ring twice; door code 4821."


class ActorFactory(factory.django.DjangoModelFactory):
    """A trusted ally in the emergency directory, with contacts and one capability."""

    class Meta:
        model = "allies.Actor"
        skip_postgeneration_save = True

    kind = "organization"
    sector = "shelter"
    stance = "ally"
    power = 3
    trust = 4
    name = factory.Sequence(lambda n: f"Harbour Shelter Network {n}")
    contact_person = "Mira"
    phone = "+44 7700 900123"
    email = "desk@harbour.example"
    messenger = "Signal +44 7700 900124"
    address = "12 Quay Street"
    notes = "Will take people at night if called first."
    in_directory = True
    last_verified = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def capabilities(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create:
            for capability in ["shelter"] if extracted is None else extracted:
                self.capabilities.create(capability=capability)

    @factory.post_generation
    def areas(self, create: bool, extracted: list[object] | None, **kwargs: object) -> None:
        if create and extracted:
            self.areas.set(extracted)


class AdversaryFactory(ActorFactory):
    """A former exploiter: an actor only coordinators and administrators may see."""

    sector = "criminal_network"
    stance = "adversary"
    power = 4
    trust = None
    in_directory = False
    name = factory.Sequence(lambda n: f"Blue Door Crew {n}")

    @factory.post_generation
    def capabilities(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """Nothing they offer is of use to the organization."""


class RelationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "allies.Relation"

    source = factory.SubFactory(ActorFactory)
    kind = "alliance"
    target = factory.SubFactory(ActorFactory)
    recorded_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)


class EngagementFactory(factory.django.DjangoModelFactory):
    """A request for help that the ally answered in 6 hours."""

    class Meta:
        model = "allies.Engagement"

    actor = factory.SubFactory(ActorFactory)
    date = factory.LazyFunction(timezone.localdate)
    kind = "request"
    purpose = "A bed for tonight"
    outcome = "helped"
    response_hours = 6
    notes = "Called at 22:00."
    recorded_by = factory.SubFactory(UserFactory, role=Role.COORDINATOR)
