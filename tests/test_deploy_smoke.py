"""The deployment of docs/operations.md, on this machine, with the files of deploy/.

The wheel is installed outside the checkout (tests/wheel.py). On the shared Postgres server,
deploy/database.sql makes a database and two roles of this test's own; the owner migrates and
runs grant_app_role. The configuration is .env.example with the values an operator fills in.
gunicorn and the worker start as deploy/'s systemd units start them (their ExecStart, their
EnvironmentFile), with the app role's DATABASE_URL, behind Caddy with deploy/Caddyfile and its
own certificate authority (`tls internal`, tests/caddy.py). Then, over HTTPS that trusts only
that authority: the administrator made by createsuperuser signs in, sets up the second factor,
signs in again with password and code, logs an incident and opens it; /healthz says ok; and
`safespaces check --deploy` passes with the same configuration. Caddy in front of a closed port
answers 502 and logs it without the address, the client or the headers. Everything is dropped at
the end.

About 35 s on two idle cores (up to a minute on busy ones), most of it the build and the
migrations: a step of its own (`make test-deploy`).
"""

import base64
import configparser
import re
import secrets
import shlex
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

from safespaces.crypto.keys import fresh_environment
from tests.browsing import Browser, authenticator_code
from tests.caddy import Caddy, caddy_binary, caddy_serving
from tests.postgres import SHARED, drop_from_shared_server
from tests.servers import free_port, processes_running, wait_until_serving
from tests.wheel import PROJECT, Installed, installed_in

pytestmark = pytest.mark.deploy

DEPLOY = PROJECT / "deploy"
# The services this test starts; systemd checks these and the backup's units.
SERVICES = ["safespaces.service", "safespaces-worker.service"]
UNITS = [*SERVICES, "safespaces-backup.service", "safespaces-backup.timer"]
APP_START_SECONDS = 40
# In a set-up link's address, its query and a header: none may reach Caddy's log.
CANARY = "zzcanary-set-up-code"


@dataclass(frozen=True)
class Roles:
    database: str
    owner: str
    app: str
    owner_password: str = field(repr=False)
    app_password: str = field(repr=False)

    def url(self, role: str, password: str) -> str:
        return f"postgres://{role}:{password}@{SHARED['host']}:{SHARED['port']}/{self.database}"

    @property
    def owner_url(self) -> str:
        return self.url(self.owner, self.owner_password)

    @property
    def app_url(self) -> str:
        return self.url(self.app, self.app_password)


@contextmanager
def database_and_roles() -> Iterator[Roles]:
    """deploy/database.sql, run as the operator runs it, with names of this test's own; the
    database and both roles are dropped at the end, whatever happened."""
    suffix = secrets.token_hex(4)
    roles = Roles(
        database=f"safespaces_deploy_{suffix}",
        owner=f"safespaces_deploy_{suffix}_owner",
        app=f"safespaces_deploy_{suffix}_app",
        owner_password=secrets.token_hex(16),
        app_password=secrets.token_hex(16),
    )
    command = ["psql", "-X", "-q", "-h", str(SHARED["host"]), "-p", str(SHARED["port"])]
    command += ["-U", str(SHARED["user"]), "-d", "postgres"]
    for name in ("database", "owner", "app"):
        command += ["-v", f"{name}={getattr(roles, name)}"]
    passwords = {
        "SAFESPACES_OWNER_PASSWORD": roles.owner_password,
        "SAFESPACES_APP_PASSWORD": roles.app_password,
    }
    try:
        # The script on psql's standard input, as docs/operations.md runs it.
        with (DEPLOY / "database.sql").open() as script:
            created = subprocess.run(
                command,
                stdin=script,
                env={"PATH": "/usr/bin:/bin", **passwords},
                capture_output=True,
                text=True,
            )
        said = created.stderr
        for password in passwords.values():
            said = said.replace(password, "<password>")
        assert created.returncode == 0, said
        yield roles
    finally:
        drop_from_shared_server(roles.database, [roles.app, roles.owner])


def env_file_from_example(values: dict[str, str]) -> str:
    """.env.example with the given variables filled in, as an operator fills in the copy they
    install as /etc/safespaces/env; each one must be in the example already."""
    lines = (PROJECT / ".env.example").read_text().splitlines()
    names = [line.split("=", 1)[0] for line in lines if "=" in line and not line.startswith("#")]
    assert set(values) <= set(names), set(values) - set(names)
    return "\n".join(
        f"{name}={values[name]}" if (name := line.split("=", 1)[0]) in values else line
        for line in lines
    )


def environment_file(path: Path) -> dict[str, str]:
    """The variables a systemd unit's EnvironmentFile= gives its service: NAME=value lines."""
    return dict(
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text())
    return parser


def unit_command(name: str, paths: dict[str, str]) -> list[str]:
    """The unit's ExecStart, with its paths and address replaced by this machine's."""
    line = unit(name)["Service"]["ExecStart"]
    for deployed, here in paths.items():
        line = line.replace(deployed, here)
    return shlex.split(line)


@dataclass(frozen=True)
class Deployment:
    installed: Installed
    roles: Roles
    caddy: Caddy
    admin: str
    admin_password: str = field(repr=False)
    logs: Path

    def log_tails(self) -> str:
        """What the services and Caddy said, for a failure's message: no request is logged,
        and nothing the test typed."""
        logs = [*sorted(self.logs.glob("*.log")), self.caddy.log]
        return "\n".join(f"--- {log.name}\n{log.read_text()[-2000:]}" for log in logs)


def succeeded(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    folder = tmp_path_factory.mktemp("deploy")
    logs = folder / "logs"
    logs.mkdir()
    with ExitStack() as stack:
        roles = stack.enter_context(database_and_roles())
        keys = environment_lines(fresh_environment())
        env_file = env_file_from_example(
            {
                **keys,
                "ALLOWED_HOSTS": "localhost",
                "DATABASE_URL": roles.app_url,
                "ATTACHMENTS_DIR": str(folder / "attachments"),
                "TRUST_X_FORWARDED_PROTO": "true",
                "PROXY_COUNT": "1",
            }
        )
        installed = installed_in(folder, env_file=env_file)
        (folder / "attachments").mkdir(mode=0o700)
        # As the owner: migrate, then give the app role its rights.
        owner = {"DATABASE_URL": roles.owner_url}
        succeeded(installed.safespaces("migrate", "--no-input", env=owner))
        succeeded(installed.safespaces("grant_app_role", roles.app, env=owner))
        # As the app role, from the env file alone.
        succeeded(installed.safespaces("collectstatic", "--no-input"))
        admin, admin_password = "first-admin", secrets.token_urlsafe(18)
        succeeded(
            installed.safespaces(
                "createsuperuser",
                "--no-input",
                "--username",
                admin,
                env={"DJANGO_SUPERUSER_PASSWORD": admin_password},
            )
        )

        # The services, as systemd starts them: EnvironmentFile= and no SAFESPACES_ENV_FILE.
        address = f"127.0.0.1:{free_port()}"
        paths = {"/srv/safespaces/current": str(installed.venv), "127.0.0.1:8000": address}
        service_env = environment_file(Path(installed.env["SAFESPACES_ENV_FILE"])) | {
            "PATH": installed.env["PATH"],
            "HOME": str(installed.run),
            # One gunicorn worker, not the unit's default three: the test sends one request at a
            # time, on two cores that other tests share.
            "WEB_CONCURRENCY": "1",
        }
        started = stack.enter_context(
            processes_running(
                {name: unit_command(name, paths) for name in SERVICES},
                cwd=installed.run,
                env=service_env,
                logs=logs,
            )
        )
        wait_until_serving(
            f"http://{address}",
            started["safespaces.service"],
            seconds=APP_START_SECONDS,
            host="localhost",
        )
        caddy = stack.enter_context(caddy_serving(folder / "caddy", [address]))
        yield Deployment(installed, roles, caddy, admin, admin_password, logs)


def environment_lines(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def browser(caddy: Caddy) -> Browser:
    """HTTPS through Caddy, trusting its local authority only."""
    return Browser(caddy.url, context=caddy.ssl_context())


def typed_key(secret: str) -> bytes:
    """The key an authenticator app gets when the one on the set-up page is typed into it."""
    key = secret.replace(" ", "")
    return base64.b32decode(key + "=" * (-len(key) % 8))


def test_the_first_administrator_signs_in_with_a_second_factor_and_logs_an_incident(
    deployment: Deployment,
) -> None:
    first = browser(deployment.caddy)
    password = {"username": deployment.admin, "password": deployment.admin_password}

    enrol = first.submit(first.get("/login/"), password)
    assert enrol.status == 200, deployment.log_tails()
    assert enrol.url.endswith("/login/enrol/")
    secret = re.search(r'<p class="secret"><code>([A-Z2-7 ]+)</code>', enrol.text)
    assert secret, "the set-up page shows the key to type"
    key = typed_key(secret.group(1))
    codes = first.submit(enrol, {"code": authenticator_code(key)})
    assert codes.status == 200
    assert codes.heading() == "Your backup codes"
    assert len(re.findall(r"[a-z2-9]{5}-[a-z2-9]{5}", codes.text)) >= 10
    # Then from another browser, with the password and the next code the app shows.
    other = browser(deployment.caddy)
    verify = other.submit(other.get("/login/"), password)
    assert verify.url.endswith("/login/verify/")
    home = other.submit(verify, {"code": authenticator_code(key, step_ahead=1)})
    assert home.status == 200
    assert home.url == f"{deployment.caddy.url}/"
    assert home.heading() == f"Hello, {deployment.admin}"
    # Production's cookies and headers, through the proxy.
    assert {cookie.name for cookie in other.cookies if cookie.secure} >= {
        "__Host-session",
        "__Host-csrftoken",
    }
    assert home.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    form = other.get("/incidents/new/")
    today = re.search(r'name="occurred_on" value="([\d-]+)"', form.text)
    assert form.status == 200
    assert today, "the form offers today's date"
    logged = other.submit(
        form,
        {
            "kind": "threat",
            "occurred_on": today.group(1),
            "summary": "Followed after the outreach",
            "severity": "3",
            "visibility": "team",
        },
    )
    assert logged.status == 200, logged.text[-2000:]
    assert re.fullmatch(
        rf"{re.escape(deployment.caddy.url)}/incidents/[0-9a-f-]{{36}}/", logged.url
    )
    assert "The incident is logged as INC-" in logged.text
    opened = other.get(logged.url.removeprefix(deployment.caddy.url))
    assert opened.status == 200
    assert "Followed after the outreach" in opened.text


def test_healthz_says_ok_over_https_and_the_worker_beats(deployment: Deployment) -> None:
    health = browser(deployment.caddy).get("/healthz")
    beats = 0
    deadline = time.monotonic() + 20
    while not beats and time.monotonic() < deadline:
        with psycopg2.connect(deployment.roles.owner_url) as connection:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM worker_heartbeat")
                beats = cursor.fetchone()[0]
        connection.close()
        time.sleep(0.2)

    assert health.status == 200
    assert health.text == "ok"
    assert beats == 1, deployment.log_tails()


def test_gunicorn_makes_no_control_socket_in_the_home_folder(deployment: Deployment) -> None:
    """The unit's home folder is read-only: gunicorn must not try to write there."""
    health = browser(deployment.caddy).get("/healthz")
    said = (deployment.logs / "safespaces.service.log").read_text()

    assert health.status == 200
    assert "Booting worker" in said
    assert "Control server" not in said
    assert not (deployment.installed.run / ".gunicorn").exists()


def test_pages_go_out_uncompressed_and_static_files_compressed(deployment: Deployment) -> None:
    """No `encode` in the Caddyfile: a page's length must not leak its secrets (BREACH)."""
    visitor = browser(deployment.caddy)
    gzip = {"Accept-Encoding": "gzip, br"}
    page = visitor.get("/login/", gzip)
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page links the hashed stylesheet"
    css = visitor.get(stylesheet.group(1), gzip)

    assert page.status == 200
    assert "Content-Encoding" not in page.headers
    assert css.status == 200
    assert css.headers.get("Content-Encoding") in ("gzip", "br")


def test_plain_http_is_sent_to_https(deployment: Deployment) -> None:
    answer = Browser(deployment.caddy.http_url, follow_redirects=False).get("/login/")

    assert answer.status == 308
    assert answer.headers["Location"].startswith("https://localhost")


def test_caddy_logs_a_request_it_could_not_serve_without_its_address_client_or_headers(
    tmp_path: Path,
) -> None:
    """Caddy always logs the requests it could not serve (a 502 while the app restarts, is
    upgraded or is down): deploy/Caddyfile leaves their address, client and headers out."""
    with caddy_serving(tmp_path, [f"127.0.0.1:{free_port()}"]) as caddy:
        answer = browser(caddy).get(
            f"/setup/{CANARY}/?q={CANARY}", {"X-Canary": CANARY, "Cookie": f"session={CANARY}"}
        )
    logged = caddy.log.read_text()

    assert answer.status == 502
    refused = [line for line in logged.splitlines() if '"logger":"http.log.error"' in line]
    assert refused, logged
    assert '"status":502' in refused[-1]
    assert '"method":"GET"' in refused[-1]
    assert CANARY not in logged
    assert "/setup/" not in logged
    assert '"remote_ip"' not in logged
    assert '"headers"' not in logged


def test_the_app_role_may_not_change_or_empty_the_audit_trail(deployment: Deployment) -> None:
    refused = []
    statements = {
        "ALTER TABLE audit_auditevent DISABLE TRIGGER ALL": "must be owner",
        "TRUNCATE audit_auditevent": "permission denied",
        "DELETE FROM audit_auditevent": "permission denied",
    }
    with psycopg2.connect(deployment.roles.app_url) as connection:
        for statement in statements:
            with connection.cursor() as cursor:
                try:
                    cursor.execute(statement)
                except psycopg2.Error as error:
                    refused.append(str(error).splitlines()[0])
                connection.rollback()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) > 0 FROM audit_auditevent")
            (readable,) = cursor.fetchone()
    connection.close()

    assert len(refused) == len(statements), refused
    assert all(words in reason for words, reason in zip(statements.values(), refused, strict=True))
    assert readable


def test_the_deployment_checks_pass_with_the_same_configuration(deployment: Deployment) -> None:
    result = deployment.installed.safespaces("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` on the units as shipped, but for the command they start, which
    is only there once installed (an unknown or misspelt setting is a warning: none is allowed)."""
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        assert name.endswith(".timer") or "/srv/safespaces/current/bin/safespaces" in text
        (tmp_path / name).write_text(
            text.replace("/srv/safespaces/current/bin/safespaces", "/bin/true")
        )

    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


def test_caddy_accepts_the_caddyfile_as_shipped(tmp_path: Path) -> None:
    """With its own host name and upstream, as an operator starts from it (the test above
    serves it with this machine's)."""
    result = subprocess.run(
        [
            caddy_binary(),
            "validate",
            "--config",
            str(DEPLOY / "Caddyfile"),
            "--adapter",
            "caddyfile",
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
