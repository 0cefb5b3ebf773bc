"""Give the app's database role what the app needs and nothing more (Postgres).

Run by the role that owns the schema (the one that runs `migrate`), after every `migrate`. The
app role may read and write every table but may only read and append to the audit trail: it
owns nothing, so it cannot alter the table or switch off the triggers that refuse UPDATE,
DELETE and TRUNCATE.
"""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from safespaces.audit.models import AuditEvent

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_grants(*, role: str, schema: str) -> list[str]:
    name, schema = connection.ops.quote_name(role), connection.ops.quote_name(schema)
    audit = connection.ops.quote_name(AuditEvent._meta.db_table)
    migrations = connection.ops.quote_name(MigrationRecorder.Migration._meta.db_table)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
        # Tables and sequences that later migrations (run by this owner) create get the same.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {name}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {name}",
        # Last, so a rerun after a migration that made the table anew narrows it again.
        f"REVOKE ALL ON {audit} FROM {name}",
        f"GRANT SELECT, INSERT ON {audit} TO {name}",
        f"REVOKE ALL ON {migrations} FROM {name}",
        f"GRANT SELECT ON {migrations} TO {name}",
    ]


class Command(BaseCommand):
    help = (
        "Grant the app's database role the rights it needs: read and write every table, but "
        "only read and append to the audit trail. Run as the schema's owner after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the app servers connect as")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are for Postgres; SQLite has none.")
        if not ROLE_NAME.match(role):
            raise CommandError("Give the role's name in lower case letters, digits and _.")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, current_schema(), "
                "(SELECT tableowner FROM pg_tables WHERE tablename = %s "
                "AND schemaname = current_schema())",
                [AuditEvent._meta.db_table],
            )
            owner, schema, audit_owner = cursor.fetchone()
            if audit_owner is None:
                raise CommandError("Run migrate first.")
            if owner != audit_owner:
                raise CommandError(
                    f"Run this with the DATABASE_URL of the role that owns the tables "
                    f"({audit_owner}), the one that runs migrate."
                )
            cursor.execute(
                "SELECT rolsuper, pg_has_role(rolname, %s, 'MEMBER') FROM pg_roles "
                "WHERE rolname = %s",
                [owner, role],
            )
            found = cursor.fetchone()
            if found is None:
                raise CommandError(
                    f"There is no role {role}. Create it first, as an administrator of the "
                    f"database server: CREATE ROLE {role} LOGIN PASSWORD '...';"
                )
            # Either would let the app role change the trail after all.
            if found[0]:
                raise CommandError(f"{role} is a superuser: the app must not connect as one.")
            if found[1]:
                raise CommandError(f"{role} is a member of {owner}, which owns the tables.")
            for statement in app_role_grants(role=role, schema=schema):
                cursor.execute(statement)
        self.stdout.write(
            f"{role} may now read and write the app's tables, and only read and append to the "
            f"audit trail. Run this again after every migrate."
        )
