"""The deployment of docs/operations.md, on this machine, with the files of deploy/.

The wheel is installed outside the checkout (tests/wheel.py). On the shared Postgres server,
deploy/database.sql makes a database and two roles of this test's own; the owner migrates and
runs grant_app_role. The configuration is .env.example with the values an operator fills in.
gunicorn and the worker start as deploy/'s systemd units start them (their ExecStart, their
EnvironmentFile), with the app role's DATABASE_URL, behind Caddy with deploy/Caddyfile and its
own certificate authority (`tls internal`, tests/caddy.py). Then, over HTTPS that trusts only
that authority: the administrator made by createsuperuser signs in, sets up the second factor,
signs in again with password and code, logs an incident and opens it; /healthz says ok; and
`safespaces check --deploy` passes with the same configuration. Everything is dropped at the end.

About 35 s on two idle cores (up to a minute on busy ones), most of it the build and the
migrations: a step of its own (`make test-deploy`).
"""

import base64
import configparser
import http.cookiejar
import re
import secrets
import shlex
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
from django_otp.oath import TOTP

from safespaces.crypto.keys import fresh_environment
from tests.caddy import Caddy, caddy_binary, caddy_serving
from tests.servers import free_port
from tests.wheel import PROJECT, Installed, installed_in

pytestmark = pytest.mark.deploy

DEPLOY = PROJECT / "deploy"
# The services this test starts; systemd checks these and the backup's units.
SERVICES = ["safespaces.service", "safespaces-worker.service"]
UNITS = [*SERVICES, "safespaces-backup.service", "safespaces-backup.timer"]
# The shared server every test uses; this test makes and drops a database and roles of its own.
SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
APP_START_SECONDS = 40


@dataclass(frozen=True)
class Roles:
    database: str
    owner: str
    app: str
    owner_password: str = field(repr=False)
    app_password: str = field(repr=False)

    def url(self, role: str, password: str) -> str:
        return f"postgres://{role}:{password}@{SERVER['host']}:{SERVER['port']}/{self.database}"

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
    command = ["psql", "-X", "-q", "-h", SERVER["host"], "-p", str(SERVER["port"])]
    command += ["-U", SERVER["user"], "-d", "postgres"]
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
        # Not `with connect()`, which would wrap DROP DATABASE in a transaction it refuses.
        admin = psycopg2.connect(dbname="postgres", **SERVER)
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{roles.database}" WITH (FORCE)')
                cursor.execute(f'DROP ROLE IF EXISTS "{roles.app}"')
                cursor.execute(f'DROP ROLE IF EXISTS "{roles.owner}"')
        finally:
            admin.close()


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


@contextmanager
def services_running(
    commands: dict[str, list[str]], *, cwd: Path, env: dict[str, str], logs: Path
) -> Iterator[None]:
    """Each service's process, its output in `logs`/<name>.log; at the end all are sent SIGTERM
    at once, as systemd stops them, and waited for."""
    processes = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as output:
                processes.append(
                    subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=output)
                )
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
        stack.enter_context(
            services_running(
                {name: unit_command(name, paths) for name in SERVICES},
                cwd=installed.run,
                env=service_env,
                logs=logs,
            )
        )
        caddy = stack.enter_context(caddy_serving(folder / "caddy", [address]))
        deployment = Deployment(installed, roles, caddy, admin, admin_password, logs)
        wait_until_the_app_answers(deployment)
        yield deployment


def environment_lines(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def wait_until_the_app_answers(deployment: Deployment) -> None:
    browser = Browser(deployment.caddy)
    deadline = time.monotonic() + APP_START_SECONDS
    while time.monotonic() < deadline:
        if browser.get("/healthz").status != 502:
            return
        time.sleep(0.1)
    raise AssertionError(f"the app did not answer behind Caddy:\n{deployment.log_tails()}")


@dataclass(frozen=True)
class Page:
    status: int
    url: str
    text: str
    headers: dict[str, str]

    def csrf_token(self) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        assert found, f"no form on {self.url}"
        return found.group(1)

    def heading(self) -> str:
        found = re.search(r"<h1[^>]*>(.*?)</h1>", self.text, re.S)
        return found.group(1).strip() if found else ""


class Browser:
    """HTTPS through Caddy, trusting its local authority only; keeps cookies, follows
    redirects, and sends forms with their token and an Origin, as a browser does."""

    def __init__(self, caddy: Caddy) -> None:
        self.base = caddy.url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=caddy.ssl_context()),
            urllib.request.HTTPCookieProcessor(self.cookies),
        )

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=20) as response:
                # A compressed static file is not text: it is looked at by its headers only.
                body = response.read().decode(errors="replace")
                return Page(response.status, response.url, body, dict(response.headers))
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            return Page(error.code, error.url, body, dict(error.headers))

    def get(self, path: str, headers: dict[str, str] | None = None) -> Page:
        url = self.base + path
        return self._open(urllib.request.Request(url, headers=headers or {}))  # noqa: S310

    def submit(self, page: Page, fields: dict[str, str]) -> Page:
        """Post `fields` to the page's own address, with the page's form token."""
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": page.csrf_token(), **fields})
        request = urllib.request.Request(  # noqa: S310 - the page's own https:// address
            page.url,
            data=data.encode(),
            headers={"Origin": self.base, "Referer": page.url},
        )
        return self._open(request)


def authenticator_code(secret: str, *, step_ahead: int = 0) -> str:
    """What an authenticator app shows for the key typed from the set-up page."""
    key = secret.replace(" ", "")
    totp = TOTP(base64.b32decode(key + "=" * (-len(key) % 8)))
    totp.time = (totp.t() + step_ahead) * totp.step
    return f"{totp.token():06d}"


def test_the_first_administrator_signs_in_with_a_second_factor_and_logs_an_incident(
    deployment: Deployment,
) -> None:
    browser = Browser(deployment.caddy)
    password = {"username": deployment.admin, "password": deployment.admin_password}

    enrol = browser.submit(browser.get("/login/"), password)
    assert enrol.status == 200, deployment.log_tails()
    assert enrol.url.endswith("/login/enrol/")
    secret = re.search(r'<p class="secret"><code>([A-Z2-7 ]+)</code>', enrol.text)
    assert secret, "the set-up page shows the key to type"
    codes = browser.submit(enrol, {"code": authenticator_code(secret.group(1))})
    assert codes.status == 200
    assert codes.heading() == "Your backup codes"
    assert len(re.findall(r"[a-z2-9]{5}-[a-z2-9]{5}", codes.text)) >= 10
    # Then from another browser, with the password and the next code the app shows.
    browser = Browser(deployment.caddy)
    verify = browser.submit(browser.get("/login/"), password)
    assert verify.url.endswith("/login/verify/")
    home = browser.submit(verify, {"code": authenticator_code(secret.group(1), step_ahead=1)})
    assert home.status == 200
    assert home.url == f"{deployment.caddy.url}/"
    assert home.heading() == f"Hello, {deployment.admin}"
    # Production's cookies and headers, through the proxy.
    assert {cookie.name for cookie in browser.cookies if cookie.secure} >= {
        "__Host-session",
        "__Host-csrftoken",
    }
    assert home.headers["Strict-Transport-Security"].startswith("max-age=31536000")

    form = browser.get("/incidents/new/")
    today = re.search(r'name="occurred_on" value="([\d-]+)"', form.text)
    assert form.status == 200
    assert today, "the form offers today's date"
    logged = browser.submit(
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
    opened = browser.get(logged.url.removeprefix(deployment.caddy.url))
    assert opened.status == 200
    assert "Followed after the outreach" in opened.text


def test_healthz_says_ok_over_https_and_the_worker_beats(deployment: Deployment) -> None:
    health = Browser(deployment.caddy).get("/healthz")
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


def test_pages_go_out_uncompressed_and_static_files_compressed(deployment: Deployment) -> None:
    """No `encode` in the Caddyfile: a page's length must not leak its secrets (BREACH)."""
    browser = Browser(deployment.caddy)
    gzip = {"Accept-Encoding": "gzip, br"}
    page = browser.get("/login/", gzip)
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page links the hashed stylesheet"
    css = browser.get(stylesheet.group(1), gzip)

    assert page.status == 200
    assert "Content-Encoding" not in page.headers
    assert css.status == 200
    assert css.headers.get("Content-Encoding") in ("gzip", "br")


def test_plain_http_is_sent_to_https(deployment: Deployment) -> None:
    url = f"{deployment.caddy.http_url}/login/"
    request = urllib.request.Request(url, method="HEAD")  # noqa: S310 - our own http://
    opener = urllib.request.build_opener(NoRedirects())

    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=10)

    assert answer.value.code == 308
    assert answer.value.headers["Location"].startswith("https://localhost")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


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
