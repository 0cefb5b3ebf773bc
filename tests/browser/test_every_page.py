"""Every page, loaded once: the strict Content Security Policy holds, no page asks anything of
another site, and it meets WCAG 2.1 A and AA as far as axe can tell."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, ConsoleMessage, Request

from tests.browser.conftest import PAGES, OpenPage

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


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_keeps_the_policy_calls_no_other_site_and_is_accessible(
    open_page: OpenPage, base_url: str, axe: Axe, name: str
) -> None:
    console: list[str] = []
    elsewhere: list[str] = []

    def listen(context: BrowserContext) -> None:
        context.add_init_script(RECORD_VIOLATIONS)

        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                console.append(message.text)

        def on_request(request: Request) -> None:
            # A request to any other host would tell a third party who uses the app.
            if not request.url.startswith(f"{base_url}/"):
                elsewhere.append(request.url)

        context.on("console", on_console)
        context.on("request", on_request)

    page = open_page(name, prepare=listen)
    # The policy is read before axe runs: its checks are the test's, not the page's.
    violations, console_said, requested = page.evaluate(READ_VIOLATIONS), [*console], [*elsewhere]
    results = axe.run(page, options={**WCAG_21_AA, "resultTypes": ["violations"]})

    assert violations == []
    assert console_said == []
    assert requested == []
    found = [
        f"{violation['id']} ({violation['impact']}): {', '.join(map(str, node['target']))}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]
    assert found == [], "\n".join(found)
