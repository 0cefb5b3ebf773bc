"""The browser tests drive Debian's chromium against the real app, started once per test process
(`make test` runs two, each with its own app and database).

The app runs in its own process on a throwaway SQLite database: pytest-django's live server would
flush the database between tests, and the audit table refuses DELETE. Playwright never downloads a
browser here; it launches /usr/bin/chromium.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.seed import PERSONAS
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
# No first-run screens, no calls home: the machine may have no network, and a test must not
# depend on one.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PROJECT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT / "test-results" / "screenshots"
NEUTRAL_SITE = "https://neutral.example/weather"
NEUTRAL_PAGE = "<html><title>Weather</title><h1>Weather</h1></html>"
SERVER_START_SECONDS = 30


@dataclass
class Persona:
    """A seeded user, with what their phone and their sheet of backup codes would show."""

    username: str
    display_name: str
    totp_key: str | None
    backup_codes: list[str]
    password: str = PASSWORD
    _last_step: int = field(default=-1, repr=False)

    def authenticator_code(self) -> str:
        """The code the app shows now, or the next one if this one was already used.

        The server accepts each code once, one step either side of its clock; past that the test
        would have to wait, so it fails instead and asks for a persona of its own.
        """
        assert self.totp_key, f"{self.username} has no authenticator"
        totp = TOTP(bytes.fromhex(self.totp_key))
        now = totp.t()
        step = max(now, self._last_step + 1)
        if step > now + 1:
            pytest.fail(f"{self.username} used too many codes; give the test its own persona")
        self._last_step = step
        totp.time = step * totp.step
        return f"{totp.token():06d}"

    def backup_code(self) -> str:
        return self.backup_codes.pop()


@dataclass(frozen=True)
class App:
    url: str
    personas: dict[str, Persona]
    heron_code: str
    ally_code: str
    incident_code: str
    # The decided situation, its assessment and Ines's measure; the assessment still open.
    situation_code: str
    assessment_code: str
    measure_code: str
    open_assessment_code: str
    # Rosa's running check-in, which Cora watches.
    check_in_code: str
    # The server's database, for a test that runs the worker on it (the server runs none).
    database_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"The app server stopped at start-up:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # noqa: S310
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        # Polling a starting process, not waiting for the clock: nothing here depends on time.
        time.sleep(0.1)
    pytest.fail(f"The app server did not answer /healthz in time:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Migrate a fresh database, seed the personas and serve the app until the session ends."""
    folder = tmp_path_factory.mktemp("browser-app")
    database_url = f"sqlite:///{folder / 'browser.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # DEBUG serves static files from the source folders and allows plain-HTTP cookies.
        "DEBUG": "true",
        "QUICK_EXIT_URL": NEUTRAL_SITE,
        # No worker runs here: administrators' pages would change two minutes into the run.
        "WORKER_HEALTH_CHECKS": "false",
        # Arabic, Thai and Filipino too: pages turn right to left; Thai fits a phone; Filipino,
        # which Django has no catalogue for, is chosen on the sign-in page (test_languages).
        "LANGUAGES": "en,ar,th,tl",
        "DJANGO_SETTINGS_MODULE": "safespaces.settings",
        "PYTHONUNBUFFERED": "1",
    }

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, *args]
        return subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)

    # One process migrates and seeds: each new one spends about a second starting Django.
    seeded = manage("-m", "tests.browser.seed")
    assert seeded.returncode == 0, f"migrating or seeding failed:\n{seeded.stderr[-3000:]}"
    seeded_secrets = json.loads(seeded.stdout)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = folder / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            # The seeding process ran the system checks a moment ago, on the same code.
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=PROJECT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(url, server, log)
        personas = {
            spec.username: Persona(
                username=spec.username,
                display_name=spec.display_name,
                totp_key=seeded_secrets[spec.username]["totp_key"],
                backup_codes=list(seeded_secrets[spec.username]["backup_codes"]),
            )
            for spec in PERSONAS
        }
        yield App(
            url=url,
            personas=personas,
            heron_code=seeded_secrets["_heron"]["code"],
            ally_code=seeded_secrets["_ally"]["code"],
            incident_code=seeded_secrets["_incident"]["code"],
            situation_code=seeded_secrets["_risk"]["situation"],
            assessment_code=seeded_secrets["_risk"]["assessment"],
            measure_code=seeded_secrets["_risk"]["measure"],
            open_assessment_code=seeded_secrets["_risk"]["open_assessment"],
            check_in_code=seeded_secrets["_check_in"]["code"],
            database_url=database_url,
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- pytest-playwright configuration ------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's chromium at {CHROMIUM}: "
            "run `apt-get install chromium` (Playwright's browser downloads are not used).",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(app: App) -> str:
    return app.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    # A fixed language, so the pages are the English ones whatever the machine's locale.
    return {**browser_context_args, "locale": "en"}


# --- Personas -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lin(app: App) -> Persona:
    return app.personas["lin"]


@pytest.fixture(scope="session")
def noor(app: App) -> Persona:
    return app.personas["noor"]


@pytest.fixture(scope="session")
def sam(app: App) -> Persona:
    return app.personas["sam"]


@pytest.fixture(scope="session")
def rosa(app: App) -> Persona:
    return app.personas["rosa"]


@pytest.fixture(scope="session")
def amina(app: App) -> Persona:
    return app.personas["amina"]


@pytest.fixture(scope="session")
def cora(app: App) -> Persona:
    return app.personas["cora"]


@pytest.fixture(scope="session")
def ines(app: App) -> Persona:
    return app.personas["ines"]


@pytest.fixture(scope="session")
def dara(app: App) -> Persona:
    return app.personas["dara"]


@pytest.fixture(scope="session")
def bea(app: App) -> Persona:
    return app.personas["bea"]


@pytest.fixture(scope="session")
def kim(app: App) -> Persona:
    return app.personas["kim"]


@pytest.fixture(scope="session")
def tess(app: App) -> Persona:
    return app.personas["tess"]


@pytest.fixture(scope="session")
def pia(app: App) -> Persona:
    return app.personas["pia"]


@pytest.fixture(scope="session")
def fay(app: App) -> Persona:
    return app.personas["fay"]


@pytest.fixture(scope="session")
def finn(app: App) -> Persona:
    return app.personas["finn"]


@pytest.fixture(scope="session")
def yara(app: App) -> Persona:
    return app.personas["yara"]


@pytest.fixture(scope="session")
def zoe(app: App) -> Persona:
    return app.personas["zoe"]


@pytest.fixture(scope="session")
def mara(app: App) -> Persona:
    return app.personas["mara"]


@pytest.fixture(scope="session")
def wren(app: App) -> Persona:
    return app.personas["wren"]


# --- Signing in -----------------------------------------------------------------------------


def enter_password(page: Page, persona: Persona) -> None:
    """Step one of signing in; the page then asks for a code, or to set up an authenticator."""
    page.goto("/login/")
    page.get_by_label("Username").fill(persona.username)
    page.get_by_label("Password").fill(persona.password)
    page.get_by_role("button", name="Continue").click()


def sign_in(page: Page, persona: Persona, *, code: str | None = None) -> None:
    """Both steps, with the authenticator's current code unless another code is given."""
    enter_password(page, persona)
    expect(page).to_have_url(re.compile(r"/login/verify/$"))
    page.get_by_label("Code").fill(code or persona.authenticator_code())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=f"Hello, {persona.display_name}")).to_be_visible()
    # Page scripts such as the quick exit shortcut are ready, as for a person reading the page.
    page.wait_for_load_state()


def go_to_neutral_site_offline(context: BrowserContext) -> None:
    """Answer for the neutral site, which the test machine cannot reach."""
    context.route(
        "https://neutral.example/**",
        lambda route: route.fulfill(body=NEUTRAL_PAGE, content_type="text/html"),
    )


# --- The app's pages, each opened as the person who would see it ----------------------------

PAGES = {
    "login": "/login/",
    "verify": "/login/verify/",
    "enrol": "/login/enrol/",
    "home": "/",
    "account": "/account/",
    "notifications": "/notifications/",
    "notification-settings": "/notifications/settings/",
    "people": "/people/",
    "person": "/people/{heron}/",
    "actors": "/allies/",
    "actor": "/allies/{ally}/",
    "actor-map": "/allies/map/",
    "directory": "/allies/directory/",
    "pocket-card": "/allies/directory/card/",
    "coordinator-map": "/allies/map/",
    "gaps": "/allies/gaps/",
    "actor-form": "/allies/{ally}/edit/",
    "engagement-form": "/allies/{ally}/engagements/new/",
    "sharing": "/allies/sharing/{heron}/",
    "incidents": "/incidents/",
    "trends": "/incidents/trends/",
    "incident-form": "/incidents/new/",
    "incident": "/incidents/{incident}/",
    "patterns": "/incidents/patterns/",
    "check-ins": "/incidents/welfare/",
    "assessment-form": "/incidents/{incident}/assessment/",
    "review-form": "/incidents/{incident}/reviews/new/",
    "coordinator-incident": "/incidents/{incident}/",
    "coordinator-home": "/",
    "risks": "/risks/",
    "risk-situation-form": "/risks/new/",
    "risk-situation": "/risks/{situation}/",
    "risk-situation-edit": "/risks/{situation}/edit/",
    "risk-assessment-start": "/risks/{situation}/assess/",
    "risk-assessment": "/risks/assessments/{assessment}/",
    "risk-threats": "/risks/assessments/{open_assessment}/threats/",
    "risk-vulnerabilities": "/risks/assessments/{open_assessment}/vulnerabilities/",
    "risk-capacities": "/risks/assessments/{open_assessment}/capacities/",
    "risk-ratings": "/risks/assessments/{open_assessment}/ratings/",
    "risk-decision": "/risks/assessments/{open_assessment}/decision/",
    "measure-form": "/risks/{situation}/measures/new/",
    "measure-edit-form": "/risks/measures/{measure}/edit/",
    "safety-plan": "/risks/{situation}/plan/",
    "field-check-ins": "/checkins/",
    "field-check-in": "/checkins/{check_in}/",
    "field-check-in-start": "/checkins/start/",
    "field-check-in-start-from-plan": "/checkins/start/for/{situation}/",
}
# Opened as Cora, a coordinator: adversaries on the map, relations, forms; the incidents'
# patterns, check-ins, threat assessment and review, and an incident with its analysis section;
# her home page's risk panel, and every risk page but the safety plan: the register, the
# decided situation and its forms, the open assessment's five steps; the field check-ins, among
# them Rosa's, which she watches, and its page.
COORDINATOR_PAGES = {
    "coordinator-map",
    "gaps",
    "actor-form",
    "engagement-form",
    "sharing",
    "patterns",
    "check-ins",
    "assessment-form",
    "review-form",
    "coordinator-incident",
    "coordinator-home",
    "risks",
    "risk-situation-form",
    "risk-situation",
    "risk-situation-edit",
    "risk-assessment-start",
    "risk-assessment",
    "risk-threats",
    "risk-vulnerabilities",
    "risk-capacities",
    "risk-ratings",
    "risk-decision",
    "measure-form",
    "measure-edit-form",
    "field-check-ins",
    "field-check-in",
}
# Ines is staff: she sees the allies, not the adversaries, and not the coordinators' gap list;
# the incidents the whole team sees, their timeline and trends, and the log form; the safety
# plan of the outreach she takes part in, and her overdue measure on her home page; the form
# that starts a check-in, on its own and from that safety plan.
SIGNED_IN_PAGES = {
    "home",
    "account",
    "notifications",
    "notification-settings",
    "people",
    "person",
    "actors",
    "actor",
    "actor-map",
    "directory",
    "pocket-card",
    "incidents",
    "trends",
    "incident-form",
    "incident",
    "safety-plan",
    "field-check-in-start",
    "field-check-in-start-from-plan",
}


@pytest.fixture(scope="session")
def signed_in_state(browser: Browser, app: App, ines: Persona) -> dict:
    """Ines's cookies after one full sign-in, shared by the tests that only look at pages."""
    context = browser.new_context(base_url=app.url, locale="en")
    page = context.new_page()
    sign_in(page, ines)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="session")
def coordinator_state(browser: Browser, app: App, cora: Persona) -> dict:
    """Cora's cookies after one full sign-in, for the pages only coordinators see."""
    context = browser.new_context(base_url=app.url, locale="en")
    page = context.new_page()
    sign_in(page, cora)
    state = context.storage_state()
    context.close()
    return state


OpenPage = Callable[..., Page]


def page_path(app: App, name: str) -> str:
    return PAGES[name].format(
        heron=app.heron_code,
        ally=app.ally_code,
        incident=app.incident_code,
        situation=app.situation_code,
        assessment=app.assessment_code,
        measure=app.measure_code,
        open_assessment=app.open_assessment_code,
        check_in=app.check_in_code,
    )


@pytest.fixture
def open_page(
    new_context: Callable[..., BrowserContext],
    app: App,
    signed_in_state: dict,
    coordinator_state: dict,
    ines: Persona,
    dara: Persona,
) -> OpenPage:
    """Open one of PAGES in a fresh context; `prepare` runs on the context before any page.

    Options for the context (a phone's screen, a language) come from the test's
    `browser_context_args` marker.
    """

    def open_(name: str, prepare: Callable[[BrowserContext], None] | None = None) -> Page:
        context = new_context(storage_state=who_opens(name, signed_in_state, coordinator_state))
        if prepare:
            prepare(context)
        page = context.new_page()
        if name == "verify":
            enter_password(page, ines)
            expect(page).to_have_url(app.url + page_path(app, name))
            page.wait_for_load_state()
        elif name == "enrol":
            enter_password(page, dara)
            expect(page).to_have_url(app.url + page_path(app, name))
            page.wait_for_load_state()
        else:
            go_to(page, app, name)
        return page

    return open_


def who_opens(name: str, signed_in_state: dict, coordinator_state: dict) -> dict | None:
    """The cookies of the person who opens page `name`: Ines, Cora or no one."""
    if name in SIGNED_IN_PAGES:
        return signed_in_state
    if name in COORDINATOR_PAGES:
        return coordinator_state
    return None


def go_to(page: Page, app: App, name: str) -> None:
    """Load page `name` in `page` and check it answered as itself."""
    response = page.goto(page_path(app, name))
    # An error page would pass the checks too, and check nothing of the page itself.
    assert response is not None, name
    assert response.ok, f"{name} answered {response.status}"
    expect(page).to_have_url(app.url + page_path(app, name))
    page.wait_for_load_state()
