"""Give the app's database role what the app needs and nothing more (Postgres).

Run by the role that owns the schema (the one that runs `migrate`), after every `migrate`. The
app role may read and write every table but may only read and append to the audit trail, and
set the chain fields of the rows it appended (the sealer runs as the app): it owns nothing, so
it cannot alter the table or switch off the triggers that refuse DELETE, TRUNCATE and every
UPDATE but the sealing of a pending row. It creates nothing either: a function or table it
could put in the schema would be found on the owner's search path, and the owner runs migrate.
"""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from safespaces.audit.models import AuditEvent

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Role attributes that let a role give itself more than it was granted. Attributes are not
# inherited but a member can SET ROLE to use them, so the role's groups are checked too.
# CREATEROLE: before Postgres 16 it may grant itself membership of any role but superusers
# (the owner included). CREATEDB, REPLICATION, BYPASSRLS: a way around the database, its
# owner's rules or row security; the app needs none of them.
ESCALATING = {
    "rolsuper": "SUPERUSER",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}


def app_role_grants(*, role: str, schema: str) -> list[str]:
    name, schema = connection.ops.quote_name(role), connection.ops.quote_name(schema)
    audit = connection.ops.quote_name(AuditEvent._meta.db_table)
    migrations = connection.ops.quote_name(MigrationRecorder.Migration._meta.db_table)
    return [
        # Postgres 14 and older let everyone create in the public schema: the app role could
        # plant a function named like one migrate calls, and the owner would run it.
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {schema} FROM {name}",
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
        # The sealer runs as the app: it may set a row's chain fields and no other column, and
        # the trigger lets that through once, for a row not yet sealed.
        f"GRANT UPDATE (seq, prev_mac, mac) ON {audit} TO {name}",
        f"REVOKE ALL ON {migrations} FROM {name}",
        f"GRANT SELECT ON {migrations} TO {name}",
    ]


class Command(BaseCommand):
    help = (
        "Grant the app's database role the rights it needs: read and write every table, but "
        "only read and append to the audit trail (and seal what it appended). Run as the "
        "schema's owner after every migrate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the app servers connect as")

    def handle(self, *args: Any, role: str, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are for Postgres; SQLite has none.")
        if not ROLE_NAME.match(role):
            raise CommandError("Give the role's name in lower case letters, digits and _.")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_schema()")
            owner, schema = cursor.fetchone()
            _refuse_escalating_role(cursor, role=role, owner=owner)
            cursor.execute(
                "SELECT tableowner FROM pg_tables WHERE tablename = %s AND schemaname = %s",
                [AuditEvent._meta.db_table, schema],
            )
            audit_owner = (cursor.fetchone() or [None])[0]
            if audit_owner is None:
                raise CommandError("Run migrate first.")
            if owner != audit_owner:
                raise CommandError(
                    f"Run this with the DATABASE_URL of the role that owns the tables "
                    f"({audit_owner}), the one that runs migrate."
                )
            for statement in app_role_grants(role=role, schema=schema):
                cursor.execute(statement)
            # A REVOKE that only the schema's owner may make is skipped with a warning.
            cursor.execute(
                "SELECT has_schema_privilege(%s, %s, 'CREATE'), "
                "(SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = %s)",
                [role, schema, schema],
            )
            may_create, schema_owner = cursor.fetchone()
            if may_create:
                raise CommandError(
                    f"{role} may still create objects in the schema {schema}, which "
                    f"{schema_owner} owns, so nothing was granted. As an administrator of the "
                    f"database server, run REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC; (or "
                    f"make {owner} its owner: ALTER SCHEMA {schema} OWNER TO {owner};) and run "
                    f"this again."
                )
        self.stdout.write(
            f"{role} may now read and write the app's tables, and only read and append to the "
            f"audit trail (and seal what it appended). Run this again after every migrate."
        )


def _refuse_escalating_role(cursor: Any, *, role: str, owner: str) -> None:
    """Refuse a role that could change the trail after all, or give itself the rights to."""
    cursor.execute(
        "SELECT pg_has_role(%s, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s", [role, owner, role]
    )
    found = cursor.fetchone()
    if found is None:
        raise CommandError(
            f"There is no role {role}. Create it first, as an administrator of the "
            f"database server: CREATE ROLE {role} LOGIN PASSWORD '...';"
        )
    attributes = ", ".join(ESCALATING)
    cursor.execute(
        f"SELECT rolname, {attributes} FROM pg_roles "  # noqa: S608 - our own column names
        "WHERE pg_has_role(%s, oid, 'MEMBER') ORDER BY rolname <> %s, rolname",
        [role, role],
    )
    for name, *flags in cursor.fetchall():
        powers = [power for power, flag in zip(ESCALATING.values(), flags, strict=True) if flag]
        if not powers:
            continue
        if name == role:
            holder, remedy = role, f"ALTER ROLE {role} NO{' NO'.join(powers)};"
        else:
            holder, remedy = f"{role} is a member of {name}, which", f"REVOKE {name} FROM {role};"
        raise CommandError(
            f"{holder} has {', '.join(powers)}: with it the app's role could give itself more "
            f"than this grants. As an administrator of the database server, run {remedy} "
            f"and run this again."
        )
    # Superusers are members of every role: checked above, to name the right reason.
    if found[0]:
        raise CommandError(f"{role} is a member of {owner}, which owns the tables.")
