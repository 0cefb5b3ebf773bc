import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role


def seed() -> str:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_it_creates_one_user_per_role_whose_printed_logins_work(db: None) -> None:
    output = seed()

    roles = {user.username: user.role for user in User.objects.all()}
    assert roles == {
        "demo-admin": Role.ADMINISTRATOR,
        "demo-coordinator": Role.COORDINATOR,
        "demo-staff": Role.STAFF,
    }
    for username in roles:
        block = output.split(username, 1)[1]
        password = re.search(r"password:\s+(\S+)", block).group(1)
        code = re.search(r"backup codes:\s+(\S+)", block).group(1)
        client = Client()
        client.post("/login/", {"username": username, "password": password})
        assert client.post("/login/verify/", {"code": code})["Location"] == "/"


def test_running_it_again_prints_fresh_working_codes(db: None) -> None:
    first, second = seed(), seed()

    assert User.objects.count() == 3
    assert first != second


def test_it_refuses_to_run_in_production(db: None) -> None:
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="development"):
        call_command("seed_demo", stdout=StringIO())


def test_it_adds_fictional_people_once(db: None) -> None:
    from safespaces.people.models import Person

    seed()
    seed()

    assert sorted(Person.objects.values_list("alias", flat=True)) == ["Heron", "Kestrel", "Swift"]


def test_it_adds_fictional_places_once(db: None) -> None:
    from safespaces.places.models import Place

    seed()
    seed()

    assert sorted(place.name for place in Place.objects.all()) == [
        "Main office",
        "Safe house",
        "Station outreach",
    ]
