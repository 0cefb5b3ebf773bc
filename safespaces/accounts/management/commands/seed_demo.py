import importlib
import importlib.util
import secrets
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.accounts.services import backup_codes_regenerate
from safespaces.audit.services import audit_chain_lock
from safespaces.people.models import Person
from safespaces.places.models import Place, PlaceKind

# Fictional people; any likeness to real ones is accidental.
DEMO_USERS = [
    ("demo-admin", "Amina (demo administrator)", Role.ADMINISTRATOR),
    ("demo-coordinator", "Rosa (demo coordinator)", Role.COORDINATOR),
    ("demo-staff", "Lin (demo staff)", Role.STAFF),
]


# Fictional people with fictional identities, so reveal, grants and erasure can be tried.
DEMO_PEOPLE = [
    ("Heron", "member", {"legal_name": "Maria Exemplo", "phone": "+44 7700 900001"}),
    ("Kestrel", "volunteer", {"legal_name": "Jo Sample", "email": "jo@example.org"}),
    ("Swift", "family", {"legal_name": "Ana Placeholder", "address": "1 Example Lane"}),
]

DEMO_PLACES = [
    (PlaceKind.OFFICE, "Main office", "1 Example Street"),
    (PlaceKind.SHELTER, "Safe house", "7 Hidden Lane"),
    (PlaceKind.OUTREACH_SITE, "Station outreach", "Around the central station"),
]


def demo_password() -> str:
    return "-".join(secrets.token_hex(3) for _ in range(4))


def seed_domain_apps(user: User) -> list[str]:
    """Run each installed app's `demo.seed(user)`, in INSTALLED_APPS order.

    Found by name rather than imported, so the platform keeps knowing nothing of the domain apps
    built on it (the allies, incidents and risk assessment apps each bring their own demo data).
    """
    lines = []
    for app in apps.get_app_configs():
        if importlib.util.find_spec(f"{app.name}.demo") is not None:
            lines += importlib.import_module(f"{app.name}.demo").seed(user)
    return lines


class Command(BaseCommand):
    help = (
        "Create one fictional user per role for local use, with a fresh password and fresh "
        "backup codes each run, and print them. Refuses to run when DEBUG is off."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo is for development (DEBUG=true) only.")
        lines = [
            "",
            "Demo logins (fictional data). Sign in at http://127.0.0.1:8000 with the password,",
            "then type one backup code. Each code works once; then set up an authenticator app.",
        ]
        with transaction.atomic():
            # Before any row, as requests do: the app may be serving while this runs.
            audit_chain_lock()
            for username, display_name, role in DEMO_USERS:
                user, _ = User.objects.get_or_create(username=username)
                user.display_name = display_name
                password = demo_password()
                user.set_password(password)
                user.save()
                user.groups.set([Group.objects.get(name=role.value)])
                codes = backup_codes_regenerate(user=user)
                lines += ["", f"  {role.label}: {username}", f"    password:     {password}"]
                lines.append(f"    backup codes: {' '.join(codes[:5])}")
                lines.append(f"                  {' '.join(codes[5:])}")
            for alias, relation, identity in DEMO_PEOPLE:
                if not Person.objects.filter(alias=alias).exists():
                    Person.objects.create(alias=alias, relation=relation, **identity)
            # Names are encrypted and cannot be looked up: add the places once, to an empty table.
            if not Place.objects.exists():
                for kind, name, address in DEMO_PLACES:
                    Place.objects.create(kind=kind, name=name, address=address)
            coordinator = User.objects.get(username="demo-coordinator")
            domain_lines = seed_domain_apps(coordinator)
        lines.append("")
        lines.append(f"Demo people: {', '.join(alias for alias, _, _ in DEMO_PEOPLE)} (fictional).")
        lines += domain_lines
        self.stdout.write("\n".join(lines) + "\n")
