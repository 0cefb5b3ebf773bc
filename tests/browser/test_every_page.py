"""Every page, loaded once: the strict Content Security Policy holds, no page asks anything of
another site, and it meets WCAG 2.1 A and AA as far as axe can tell."""

from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

from tests.browser.conftest import (
    COORDINATOR_PAGES,
    PAGES,
    SIGNED_IN_PAGES,
    App,
    OpenPage,
    go_to,
    who_opens,
)

pytestmark = pytest.mark.browser

# Installed before any page script runs, so it hears every violation of the document.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""
# Violation events are queued as tasks; let any still pending be dispatched before reading.
READ_VIOLATIONS = "() => new Promise((done) => setTimeout(() => done(window.__csp), 0))"
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


# Reached by typing a password first: each starts a sign-in of its own in a fresh context.
SIGNING_IN = {"verify", "enrol"}


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.fixture(scope="module")
def tab_for(
    browser: Browser,
    app: App,
    browser_context_args: dict,
    signed_in_state: dict,
    coordinator_state: dict,
) -> Iterator[Callable[[str], Page]]:
    """The tab page `name` opens in: one for each person who opens pages (no one, Ines, Cora),
    kept from page to page. A fresh context and tab cost about a second on two cores; loading a
    page in an open tab about a fifth of that. The pages are only read, so none changes the next.
    """
    tabs: dict[str, Page] = {}

    def tab(name: str) -> Page:
        who = "ines" if name in SIGNED_IN_PAGES else "cora" if name in COORDINATOR_PAGES else ""
        if who not in tabs:
            state = who_opens(name, signed_in_state, coordinator_state)
            context = browser.new_context(**browser_context_args, storage_state=state)
            context.add_init_script(RECORD_VIOLATIONS)
            tabs[who] = context.new_page()
        return tabs[who]

    yield tab
    for page in tabs.values():
        page.context.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_keeps_the_policy_calls_no_other_site_and_is_accessible(
    open_page: OpenPage,
    tab_for: Callable[[str], Page],
    app: App,
    base_url: str,
    axe: Axe,
    name: str,
) -> None:
    console: list[str] = []
    elsewhere: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            console.append(message.text)

    def on_request(request: Request) -> None:
        # A request to any other host would tell a third party who uses the app.
        if not request.url.startswith(f"{base_url}/"):
            elsewhere.append(request.url)

    def listen(to: BrowserContext | Page) -> None:
        to.on("console", on_console)
        to.on("request", on_request)

    if name in SIGNING_IN:

        def prepare(context: BrowserContext) -> None:
            context.add_init_script(RECORD_VIOLATIONS)
            listen(context)

        page = open_page(name, prepare=prepare)
    else:
        page = tab_for(name)
        listen(page)
        go_to(page, app, name)
    try:
        # The policy is read before axe runs: its checks are the test's, not the page's.
        violations, console_said, requested = (
            page.evaluate(READ_VIOLATIONS),
            [*console],
            [*elsewhere],
        )
        results = axe.run(page, options={**WCAG_21_AA, "resultTypes": ["violations"]})
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("request", on_request)

    assert violations == []
    assert console_said == []
    assert requested == []
    found = [
        f"{violation['id']} ({violation['impact']}): {', '.join(map(str, node['target']))}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]
    assert found == [], "\n".join(found)
