"""grant_app_role: the app's database role writes the app's tables, but may only read and append
to the audit trail and seal what it appended, and cannot switch off the triggers that guard it
(Postgres).

The test makes a database and two roles of its own: an owner that runs migrate and an app role
that the app would connect as. It drops them again at the end.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from psycopg2 import errors

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite has no roles or privileges"
)

REFUSED = [
    "UPDATE audit_auditevent SET action = 'logout'",
    "DELETE FROM audit_auditevent",
    "TRUNCATE audit_auditevent",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_only_sealing",
    # The sealer's columns only: every other one of a row stays as it was written.
    "UPDATE audit_auditevent SET object_id = 'x'",
    "UPDATE audit_auditevent SET at = now(), seq = NULL, mac = '', prev_mac = ''",
    "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
    "DROP TRIGGER audit_no_truncate ON audit_auditevent",
    "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NULL; END; $$",
    # Replica mode would skip the triggers; only superusers may set it.
    "SET session_replication_role = replica",
    "INSERT INTO django_migrations (app, name, applied) VALUES ('audit', 'x', now())",
    # Nothing of its own in the schema, where the owner's migrate would find it by name.
    "CREATE FUNCTION planted() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE TABLE planted (id int)",
]


@dataclass
class Server:
    database: str
    owner: str
    app: str

    def url(self, role: str) -> str:
        settings = connection.settings_dict
        return f"postgres://{role}@{settings['HOST']}:{settings['PORT']}/{self.database}"

    def manage(self, role: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "DATABASE_URL": self.url(role)}
        return subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, str(MANAGE), *arguments],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )


def as_administrator(*statements: str, database: str = "postgres") -> None:
    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname=database,
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        admin.close()


@pytest.fixture
def server() -> Iterator[Server]:
    """A fresh database owned by its own owner role, and an app role with no rights yet."""
    # Named after this run's database, so runs on other databases of the server never collide.
    database = connection.settings_dict["NAME"].removeprefix("test_") + "_roles"
    made = Server(database=database, owner=f"{database}_owner", app=f"{database}_app")
    drop = [
        f"DROP DATABASE IF EXISTS {made.database} WITH (FORCE)",
        f"DROP ROLE IF EXISTS {made.app}",
        f"DROP ROLE IF EXISTS {made.owner}",
    ]
    as_administrator(
        *drop,
        f"CREATE ROLE {made.owner} LOGIN",
        f"CREATE ROLE {made.app} LOGIN",
        f"CREATE DATABASE {made.database} OWNER {made.owner}",
    )
    # As Postgres 14 and older make every database: anyone may create in the public schema.
    as_administrator("GRANT CREATE ON SCHEMA public TO PUBLIC", database=made.database)
    yield made
    as_administrator(*drop)


def test_the_app_role_appends_to_the_trail_and_cannot_change_it(server: Server) -> None:
    migrated = server.manage(server.owner, "migrate", "--no-input")
    assert migrated.returncode == 0, migrated.stderr
    granted = server.manage(server.owner, "grant_app_role", server.app)
    assert granted.returncode == 0, granted.stderr
    assert "only read and append to the audit trail" in granted.stdout

    writes = server.manage(
        server.app,
        "shell",
        "-c",
        "from safespaces.accounts.models import User\n"
        "from safespaces.audit.models import AuditEvent\n"
        "from safespaces.audit.services import audit_record\n"
        "user = User.objects.create(username='amina', display_name='Amina')\n"
        "audit_record(action=AuditEvent.Action.CREATE, actor=user, target=user)\n"
        "user.display_name = 'Amina K.'\n"
        "user.save()\n"
        "User.objects.create(username='kai').delete()\n"
        "print(AuditEvent.objects.count(), User.objects.get().display_name)\n",
    )
    assert writes.returncode == 0, writes.stderr
    assert writes.stdout.splitlines()[-1] == "1 Amina K."

    # The background worker connects as the app role too: it queues, claims and finishes tasks
    # and writes its heartbeat.
    queued = server.manage(
        server.app,
        "shell",
        "-c",
        "from tests.worker.tasks import count_a_run\ncount_a_run.enqueue()",
    )
    assert queued.returncode == 0, queued.stderr
    worked = server.manage(
        server.app, "worker", "--batch", "--interval=0", "--no-startup-delay", "--worker-id=w1"
    )
    assert worked.returncode == 0, worked.stderr

    app = psycopg2.connect(server.url(server.app))
    try:
        for statement in REFUSED:
            with pytest.raises(errors.InsufficientPrivilege), app.cursor() as cursor:
                cursor.execute(statement)
            app.rollback()
        with app.cursor() as cursor:
            # Sealed by the app role itself, right after its commit.
            cursor.execute("SELECT count(*), min(action), min(seq) FROM audit_auditevent")
            assert cursor.fetchone() == (1, "create", 1)
            cursor.execute(
                "SELECT task_path, status FROM django_tasks_database_dbtaskresult ORDER BY 1"
            )
            assert cursor.fetchall() == [
                *[("safespaces.worker.tasks.recurring_run", "READY")] * 6,
                ("tests.worker.tasks.count_a_run", "SUCCESSFUL"),
            ]
            cursor.execute("SELECT name FROM worker_recurringtask ORDER BY 1")
            assert cursor.fetchall() == [
                ("incidents.tasks.attachment_orphans_sweep",),
                ("incidents.tasks.month_changes_fold_run",),
                ("riskassessment.alerts.measures_overdue_digest",),
                ("riskassessment.alerts.situations_due_digest",),
                ("safespaces.audit.tasks.audit_seal_pending",),
                ("safespaces.worker.tasks.task_results_prune",),
            ]
            cursor.execute("SELECT worker_id FROM worker_heartbeat")
            assert cursor.fetchall() == [("w1",)]
    finally:
        app.close()

    # A schema the owner does not own (the public schema before Postgres 15): the owner cannot
    # take back what everyone was given there, so nothing is granted until an administrator does.
    as_administrator(
        f"ALTER SCHEMA public OWNER TO {connection.settings_dict['USER']}",
        "GRANT CREATE ON SCHEMA public TO PUBLIC",
        database=server.database,
    )
    refused = server.manage(server.owner, "grant_app_role", server.app)
    assert refused.returncode != 0
    assert f"{server.app} may still create objects in the schema public" in refused.stderr
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in refused.stderr


def test_it_refuses_roles_that_could_give_themselves_more(server: Server) -> None:
    # Checked before anything else: no migrate needed. Attributes are not inherited, but a
    # member can SET ROLE to a group and use them.
    group = f"{server.app}_managers"
    as_administrator(
        f"CREATE ROLE {group} NOLOGIN CREATEROLE",
        f"ALTER ROLE {server.app} CREATEDB REPLICATION BYPASSRLS",
    )
    try:
        own = server.manage(server.owner, "grant_app_role", server.app)
        as_administrator(
            f"ALTER ROLE {server.app} NOCREATEDB NOREPLICATION NOBYPASSRLS",
            f"GRANT {group} TO {server.app}",
        )
        inherited = server.manage(server.owner, "grant_app_role", server.app)
        owner = server.manage(server.owner, "grant_app_role", server.owner)
    finally:
        as_administrator(f"DROP ROLE IF EXISTS {group}")

    assert own.returncode != 0
    assert f"{server.app} has CREATEDB, REPLICATION, BYPASSRLS" in own.stderr
    assert f"ALTER ROLE {server.app} NOCREATEDB NOREPLICATION NOBYPASSRLS;" in own.stderr
    assert inherited.returncode != 0
    assert f"{server.app} is a member of {group}, which has CREATEROLE" in inherited.stderr
    assert owner.returncode != 0
    assert f"{server.owner} is a member of {server.owner}" in owner.stderr
