"""Create the browser tests' personas in the app's database and print their secrets as JSON.

Run by the `app` fixture in a subprocess (`python -m tests.browser.seed`) against the throwaway
database the test server uses: the browser tests never touch the database from the test process.
Every persona has the factories' password. Each signs in with TOTP in at most one test, because
the server accepts a code once and only within a minute or so of its time step.
"""

import json
import secrets
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonaSpec:
    username: str
    display_name: str
    role: str | None
    authenticator: bool
    backup_codes: bool


PERSONAS = [
    # Lin, staff: signs in with her password and her authenticator app.
    PersonaSpec("lin", "Lin", "Staff", authenticator=True, backup_codes=False),
    # Noor, new staff: has a password and no second factor; enrols an authenticator.
    PersonaSpec("noor", "Noor", "Staff", authenticator=False, backup_codes=False),
    # Sam, staff who lost his phone: signs in with one of his backup codes.
    PersonaSpec("sam", "Sam", "Staff", authenticator=True, backup_codes=True),
    # Rosa, a coordinator: leaves with the Quick exit button.
    PersonaSpec("rosa", "Rosa", "Coordinator", authenticator=True, backup_codes=False),
    # Amina, an administrator: leaves by pressing Shift three times.
    PersonaSpec("amina", "Amina", "Administrator", authenticator=True, backup_codes=False),
    # Ines, staff, set up like most people: her one signed-in session is shared by the tests that
    # only look at pages.
    PersonaSpec("ines", "Ines", "Staff", authenticator=True, backup_codes=True),
    # Dara, new staff: opens the enrolment page for the page checks and never finishes it.
    PersonaSpec("dara", "Dara", "Staff", authenticator=False, backup_codes=False),
    # Bea, an administrator: gives Kim access to Heron's identity.
    PersonaSpec("bea", "Bea", "Administrator", authenticator=True, backup_codes=False),
    # Kim, staff accompanying Heron to court: reveals Heron's identity once she has access.
    PersonaSpec("kim", "Kim", "Staff", authenticator=True, backup_codes=False),
    # Cora, a coordinator: her one signed-in session is shared by the checks of the pages only
    # coordinators see (the whole actor map, the gaps, the forms).
    PersonaSpec("cora", "Cora", "Coordinator", authenticator=True, backup_codes=False),
    # Tess, staff: logs an incident from her phone.
    PersonaSpec("tess", "Tess", "Staff", authenticator=True, backup_codes=False),
]
# Heron, a survivor member whose identity only people with access may reveal.
HERON = {"alias": "Heron", "legal_name": "Marisol Example", "phone": "+44 7700 900777"}
# The ally whose page the page checks open: in the directory, so staff such as Ines see it.
ALLY = "Harbourside Women's Shelter"


def seed() -> dict[str, dict[str, object]]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from allies import demo as allies_demo
    from allies.models import Actor
    from incidents import demo as incidents_demo
    from incidents.models import Incident, Visibility
    from safespaces.accounts.management.commands.seed_demo import DEMO_PLACES
    from safespaces.accounts.roles import Role
    from safespaces.accounts.services import backup_codes_regenerate
    from safespaces.places.models import Place
    from tests.factories import PersonFactory, UserFactory

    secrets_by_username: dict[str, dict[str, object]] = {}
    users = {}
    for spec in PERSONAS:
        user = users[spec.username] = UserFactory(
            username=spec.username,
            display_name=spec.display_name,
            role=Role(spec.role) if spec.role else None,
            authenticator=False,
        )
        totp_key = None
        if spec.authenticator:
            # A key we know, so the test can compute the codes the person's phone would show.
            totp_key = secrets.token_hex(20)
            TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True, key=totp_key)
        codes = backup_codes_regenerate(user=user) if spec.backup_codes else []
        secrets_by_username[spec.username] = {"totp_key": totp_key, "backup_codes": codes}
    heron = PersonFactory(**HERON)
    secrets_by_username["_heron"] = {"code": str(heron.pk)}
    # The demo's places, then its fictional actors, whose areas are those places, recorded by
    # Rosa, a coordinator. Staff such as Ines see the allies among them; coordinators everyone.
    for kind, name, address in DEMO_PLACES:
        Place.objects.create(kind=kind, name=name, address=address)
    allies_demo.seed(users["rosa"])
    # Names are encrypted: find the ally by reading them.
    ally = next(actor for actor in Actor.objects.all() if actor.name == ALLY)
    secrets_by_username["_ally"] = {"code": str(ally.pk)}
    # The demo's incidents, reported by Rosa (there is no "demo-staff" here). The page checks open
    # the newest one the whole team sees, so Ines as well as Cora.
    incidents_demo.seed(users["rosa"])
    incident = Incident.objects.filter(visibility=Visibility.TEAM).latest(
        "occurred_on", "created_at"
    )
    secrets_by_username["_incident"] = {"code": str(incident.pk)}
    return secrets_by_username


def main() -> None:
    import django

    django.setup()
    json.dump(seed(), sys.stdout)


if __name__ == "__main__":
    main()
