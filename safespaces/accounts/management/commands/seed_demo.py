import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from safespaces import demo
from safespaces.accounts.models import User
from safespaces.accounts.services import backup_codes_regenerate
from safespaces.notifications.models import Address


def demo_password() -> str:
    return "-".join(secrets.token_hex(3) for _ in range(4))


def login_lines(row: demo.DemoUser) -> list[str]:
    """Create or refresh one demo user, with a fresh password and fresh backup codes to print.

    Written directly: accounts made through the app get no password, only a set-up link.
    """
    user, _ = User.objects.get_or_create(username=row.username)
    user.display_name = row.display_name
    password = demo_password()
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=row.role.value)])
    codes = backup_codes_regenerate(user=user)
    return [
        "",
        f"  {row.role.label}: {row.username}",
        f"    password:     {password}",
        f"    backup codes: {' '.join(codes[:5])}",
        f"                  {' '.join(codes[5:])}",
    ]


class Command(BaseCommand):
    help = (
        "Create one fictional user per role for local use, with a fresh password and fresh "
        "backup codes each run, and print them; add the fictional people, places and the apps' "
        "demo records once. Refuses to run when DEBUG is off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000", help="where the app is served, to print"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo is for development (DEBUG=true) only.")
        lines = [
            "",
            f"Demo logins (fictional data). Sign in at {options['url']} with the password,",
            "then type one backup code. Each code works once; then set up an authenticator app.",
        ]
        with transaction.atomic():
            for row in demo.USERS:
                lines += login_lines(row)
            cast = demo.Cast(stand_in=User.objects.get(username=demo.COORDINATOR))
            lines.append("")
            lines += demo.people_and_places_seed(by=cast[demo.ADMINISTRATOR])
            lines += demo.apps_seed(cast[demo.COORDINATOR])
            # Addresses on a domain kept for examples: with EMAIL_URL pointing at a local SMTP
            # server, the demo's alerts arrive there (nowhere real otherwise). Given last, so the
            # story's two years of serious incidents do not send a mail each.
            for row in demo.USERS:
                user = User.objects.get(username=row.username)
                Address.objects.get_or_create(
                    user=user, defaults={"email": f"{row.username}@example.org"}
                )
        self.stdout.write("\n".join(lines) + "\n")
