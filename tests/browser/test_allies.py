"""The allies pages in a browser: the actor map, Who to call and its pocket card, on a cheap phone
and on a desk, left to right and right to left. Ines is staff, so she sees the demo's allies and
not its adversaries."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, App, OpenPage
from tests.browser.seed import ALLY
from tests.browser.test_small_screens import PHONE

pytestmark = pytest.mark.browser

DESK = {"viewport": {"width": 1280, "height": 800}}
SCREENS = [
    pytest.param("360x640", marks=pytest.mark.browser_context_args(**PHONE), id="phone"),
    pytest.param("1280x800", marks=pytest.mark.browser_context_args(**DESK), id="desk"),
]
ACTOR_PAGE = re.compile(r"/allies/[0-9a-f-]{36}/$")


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def column_box(page: Page, stance: str) -> dict[str, float]:
    box = page.locator(f".map-column-{stance}").bounding_box()
    assert box is not None, stance
    return box


@pytest.mark.browser_context_args(**DESK)
def test_each_mark_on_the_map_opens_its_actor(open_page: OpenPage, app: App) -> None:
    page = open_page("actor-map")

    marks = page.locator(".map-marks a")
    # One link per mark, one mark per ally, as many as the map's table lists.
    expect(marks).to_have_count(page.locator(".map-marks circle.mark").count())
    expect(marks).to_have_count(page.locator(".map-actors li").count())
    assert marks.count() > 1
    for href in marks.evaluate_all("links => links.map((a) => a.getAttribute('href'))"):
        assert ACTOR_PAGE.search(href), href
    # Staff see allies only.
    expect(page.locator(".map-marks a[aria-label*='Adversary']")).to_have_count(0)

    page.locator(f'.map-marks a[aria-label^="{ALLY}"] circle').click()

    expect(page).to_have_url(f"{app.url}/allies/{app.ally_code}/")
    expect(page.get_by_role("heading", level=1, name=ALLY)).to_be_visible()


@pytest.mark.browser_context_args(**DESK)
def test_who_to_call_lists_allies_with_phone_links(open_page: OpenPage) -> None:
    page = open_page("directory")

    expect(page.get_by_role("heading", level=1, name="Who to call")).to_be_visible()
    phones = page.locator("main a[href^='tel:']")
    expect(phones.first).to_be_visible()
    for href in phones.evaluate_all("links => links.map((a) => a.getAttribute('href'))"):
        assert re.fullmatch(r"tel:\+?[0-9]+", href), href


@pytest.mark.parametrize("screen", SCREENS)
def test_the_map_and_who_to_call_on_a_phone_and_a_desk(open_page: OpenPage, screen: str) -> None:
    for name in ["actor-map", "directory"]:
        page = open_page(name)
        expect(page.locator("h1")).to_be_visible()
        screenshot(page, f"{name}-{screen}")
        page.context.close()


@pytest.mark.browser_context_args(**PHONE)
def test_a_staff_members_map_fits_a_phone(open_page: OpenPage) -> None:
    page = open_page("actor-map")

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.body.scrollWidth") <= 360
    # Staff see allies only: one column, drawn whole inside its box.
    box = page.locator(".map-box").bounding_box()
    assert box is not None
    assert page.locator(".map-column").count() == 1
    mark = page.locator(f'.map-marks a[aria-label^="{ALLY}"] circle').bounding_box()
    assert mark is not None
    assert box["x"] <= mark["x"] and mark["x"] + mark["width"] <= box["x"] + box["width"], mark
    expect(page.locator(".map-actors").get_by_role("link", name=ALLY)).to_be_visible()


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_the_whole_map_reads_first_as_a_list_and_the_drawing_is_one_tap_away(
    open_page: OpenPage,
) -> None:
    page = open_page("coordinator-map")

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    listed = page.locator(".map-list")
    expect(listed.get_by_role("heading", name="Adversary")).to_be_visible()
    expect(listed.get_by_role("heading", name="Ally")).to_be_visible()
    expect(listed.get_by_role("link", name=ALLY)).to_be_visible()
    drawing = page.locator("#map-drawing")
    list_box, drawing_box = listed.bounding_box(), drawing.bounding_box()
    assert list_box is not None and drawing_box is not None
    assert list_box["y"] < drawing_box["y"]
    # Every actor of the drawing is in the list, with its name in full.
    marks = page.locator(".map-marks a")
    expect(page.locator(".map-actors li")).to_have_count(marks.count())
    screenshot(page, "coordinator-map-360x640")

    page.get_by_role("link", name="Go to the map as a drawing").click()

    expect(drawing.get_by_role("heading", name="The map as a drawing")).to_be_in_viewport()
    svg, box = page.locator(".map-svg").bounding_box(), page.locator(".map-box").bounding_box()
    assert svg is not None and box is not None
    assert svg["x"] + svg["width"] <= box["x"] + box["width"] <= 360, (svg, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.browser_context_args(**DESK)
def test_on_a_desk_the_whole_drawing_fits_its_box_and_comes_first(open_page: OpenPage) -> None:
    page = open_page("coordinator-map")

    svg, box = page.locator(".map-svg").bounding_box(), page.locator(".map-box").bounding_box()
    assert svg is not None and box is not None
    assert box["x"] <= svg["x"] and svg["x"] + svg["width"] <= box["x"] + box["width"], (svg, box)
    ally = column_box(page, "ally")
    assert ally["x"] + ally["width"] <= box["x"] + box["width"] + 0.5, (ally, box)
    drawing, listed = (
        page.locator("#map-drawing").bounding_box(),
        page.locator(".map-list").bounding_box(),
    )
    assert drawing is not None and listed is not None
    assert drawing["y"] < listed["y"]
    expect(page.get_by_role("link", name="Go to the map as a drawing")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "coordinator-map-1280x800")


@pytest.mark.browser_context_args(**DESK, locale="ar")
def test_the_map_reads_right_to_left_in_arabic(open_page: OpenPage) -> None:
    page = open_page("actor-map")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".map-marks a").first).to_be_visible()
    # The power axis moves to the right of the columns (the column order is tested in
    # tests/allies/test_map.py for coordinators, who see every stance).
    axis = page.locator(".map-axis").first.bounding_box()
    ally = column_box(page, "ally")
    assert axis is not None
    assert axis["x"] >= ally["x"] + ally["width"], (axis, ally)
    screenshot(page, "actor-map-rtl-1280x800")


@pytest.mark.browser_context_args(**PHONE, locale="ar")
def test_the_map_fits_a_phone_right_to_left(open_page: OpenPage) -> None:
    page = open_page("actor-map")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.body.scrollWidth") <= 360
    screenshot(page, "actor-map-rtl-360x640")


@pytest.mark.browser_context_args(**DESK)
def test_the_pocket_card_prints_without_the_app_around_it(open_page: OpenPage) -> None:
    page = open_page("pocket-card")
    expect(page.locator(".site-nav")).to_be_visible()

    page.emulate_media(media="print")

    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    card = page.locator(".pocket-card")
    expect(card).to_be_visible()
    expect(card.locator("a[href^='tel:']").first).to_be_visible()
    screenshot(page, "pocket-card-print")
