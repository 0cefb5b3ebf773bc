"""factory_boy factories for the platform's models."""

import factory
from django.contrib.auth.models import Group
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
