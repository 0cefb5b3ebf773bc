"""`seed_demo`: fictional users, people and places for local use, added once however often it
runs.

The seed is slow (every app's demo data, with encryption and audit events): it runs twice for the
class, as someone running it again would, and each test reads what it made."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, TestCase, override_settings

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.people.models import Person
from safespaces.places.models import Place


def seed(**options: str) -> str:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


class SeededTwiceTest(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.first, cls.second = seed(), seed(url="http://0.0.0.0:8080")

    def test_it_prints_the_address_the_app_is_served_at(self) -> None:
        self.assertIn("Sign in at http://127.0.0.1:8000 with the password", self.first)
        self.assertIn("Sign in at http://0.0.0.0:8080 with the password", self.second)

    def test_it_creates_one_user_per_role_whose_latest_printed_logins_work(self) -> None:
        roles = {user.username: user.role for user in User.objects.all()}
        self.assertEqual(
            roles,
            {
                "demo-admin": Role.ADMINISTRATOR,
                "demo-admin-2": Role.ADMINISTRATOR,
                "demo-coordinator": Role.COORDINATOR,
                "demo-coordinator-2": Role.COORDINATOR,
                "demo-staff": Role.STAFF,
            },
        )
        for username in roles:
            block = self.second.split(username, 1)[1]
            password = re.search(r"password:\s+(\S+)", block).group(1)
            code = re.search(r"backup codes:\s+(\S+)", block).group(1)
            client = Client()
            client.post("/login/", {"username": username, "password": password})
            self.assertEqual(client.post("/login/verify/", {"code": code})["Location"], "/")

    def test_running_it_again_prints_fresh_codes(self) -> None:
        self.assertIn("backup codes:", self.second)
        self.assertNotEqual(self.first, self.second)

    def test_it_adds_fictional_people_once(self) -> None:
        aliases = sorted(Person.objects.values_list("alias", flat=True))

        self.assertEqual(aliases, ["Heron", "Kestrel", "Swift"])

    def test_the_people_have_consent_states_a_real_organization_would_have(self) -> None:
        consent = {
            person.alias: (person.consent_to_store, person.consent_to_store_on is not None)
            for person in Person.objects.all()
        }

        self.assertEqual(
            consent,
            {"Heron": (True, True), "Kestrel": (True, True), "Swift": (False, False)},
        )

    def test_it_adds_fictional_places_once(self) -> None:
        names = sorted(place.name for place in Place.objects.all())

        self.assertEqual(names, ["Main office", "Safe house", "Station outreach"])


def test_it_refuses_to_run_in_production(db: None) -> None:
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="development"):
        call_command("seed_demo", stdout=StringIO())
