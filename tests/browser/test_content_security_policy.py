"""The strict Content Security Policy holds, and no page asks anything of another site."""

import pytest
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


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_breaks_no_csp_rule_and_calls_no_other_site(
    open_page: OpenPage, base_url: str, name: str
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

    assert page.evaluate(READ_VIOLATIONS) == []
    assert console == []
    assert elsewhere == []
