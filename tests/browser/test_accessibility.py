"""Every page meets WCAG 2.1 A and AA as far as axe can tell."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import PAGES, OpenPage

pytestmark = pytest.mark.browser

WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_accessibility_violations(open_page: OpenPage, axe: Axe, name: str) -> None:
    page = open_page(name)

    results = axe.run(page, options={**WCAG_21_AA, "resultTypes": ["violations"]})

    found = [
        f"{violation['id']} ({violation['impact']}): {', '.join(map(str, node['target']))}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]
    assert found == [], "\n".join(found)
