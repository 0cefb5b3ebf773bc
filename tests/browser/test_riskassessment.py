"""Risk assessment in a browser: a coordinator assesses a new situation from a phone, from the
situation to the decision; the heat map places each threat where its ratings put it; the safety
plan prints without the app around it, for the staff who take part and nobody else."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS, App, OpenPage, Persona, sign_in
from tests.browser.seed import RISK_SITUATION, RISK_THREAT

pytestmark = pytest.mark.browser

# The cheap Android phone of the incident tests.
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
SITUATION_PAGE = re.compile(r"/risks/[0-9a-f-]{36}/$")
STEP_PAGE = re.compile(r"/risks/assessments/[0-9a-f-]{36}/(\w+)/$")
HEAT_MAP = "Threats by likelihood and impact"
RESIDUAL_HEAT_MAP = "Threats after the measures, by likelihood and impact"


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def assert_fits_the_width(page: Page) -> None:
    """Nothing pushes the page sideways: wide tables and maps scroll inside their own box."""
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client, f"{page.url} is {scroll}px wide on a {client}px screen"


def rate(scope: Locator, question: str, rating: int | str) -> None:
    """Tap one of the 1-5 rating buttons under a question."""
    buttons = scope.get_by_role("group", name=question, exact=True)
    buttons.get_by_role("radio", name=str(rating), exact=True).check()
    expect(buttons.get_by_role("radio", name=str(rating), exact=True)).to_be_checked()


def heat_map_cell(heat_map: Locator, likelihood: int, impact: int) -> Locator:
    """The square for a likelihood and an impact, found by the words read out for it."""
    name = re.compile(rf"^Likelihood {likelihood}, impact {impact} \(")
    return heat_map.locator("g", has=heat_map.page.locator("title", has_text=name))


def center(target: Locator) -> tuple[float, float]:
    box = target.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_a_coordinator_assesses_a_new_situation_from_a_phone(
    browser: Browser, app: App, coordinator_state: dict
) -> None:
    context = browser.new_context(
        base_url=app.url, locale="en", storage_state=coordinator_state, **PHONE
    )
    page = context.new_page()
    title = "Saturday outreach at the bus depot"
    vulnerability = "Only one of us speaks the women's language."
    page.goto("/risks/")
    assert_fits_the_width(page)

    # The situation: what, and what for.
    page.get_by_role("link", name="New situation").click()
    expect(page.get_by_role("heading", level=1, name="New risk situation")).to_be_visible()
    page.get_by_label("Outreach to people in exploitation").check()
    page.get_by_label("Title").fill(title)
    page.get_by_label("The work objective").fill("Meet the women who arrive on the night bus.")
    assert_fits_the_width(page)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("The situation was added. Now assess it.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Assess: {title}")
    page.get_by_label("Before the activity").check()
    assert_fits_the_width(page)
    page.get_by_role("button", name="Start").click()

    # Step 1: a threat, shaped by gender, rated from the buttons now and after the measures.
    expect(page).to_have_url(STEP_PAGE)
    expect(page.get_by_role("heading", level=1, name="Threats")).to_be_visible()
    threat = page.get_by_role("group", name="Add one")
    threat.get_by_label("Description").fill("Drivers from the depot offer the women work.")
    threat.get_by_role("checkbox", name="Gender", exact=True).check()
    rate(threat, "Likelihood", 4)
    rate(threat, "Impact", 3)
    rate(threat, "Likelihood after the measures", 2)
    rate(threat, "Impact after the measures", 3)
    assert_fits_the_width(page)
    screenshot(page, "risk-threats-filled-360x740")
    page.get_by_role("button", name="Save and continue").click()

    # Step 2: a vulnerability.
    expect(page.get_by_role("heading", level=1, name="Vulnerabilities")).to_be_visible()
    item = page.get_by_role("group", name="Add one")
    item.get_by_label("Description").fill(vulnerability)
    item.get_by_label("Category").select_option(label="Communication")
    rate(item, "How serious", 4)
    assert_fits_the_width(page)
    page.get_by_role("button", name="Save and continue").click()

    # Step 3: the capacity that answers it.
    expect(page.get_by_role("heading", level=1, name="Capacities")).to_be_visible()
    item = page.get_by_role("group", name="Add one")
    item.get_by_label("Description").fill("An interpreter from the shelter joins on Saturdays.")
    item.get_by_label("Category").select_option(label="Allies and networks")
    rate(item, "How strong", 3)
    item.get_by_label("Answers the vulnerability").select_option(label=vulnerability)
    assert_fits_the_width(page)
    page.get_by_role("button", name="Save and continue").click()

    # Step 4: threat, vulnerability and capacity, before and after the measures.
    expect(page.get_by_role("heading", level=1, name="Rate the risk")).to_be_visible()
    before = page.get_by_role("group", name="Now, before the measures")
    rate(before, "Threat", 4)
    rate(before, "Vulnerability", 3)
    rate(before, "Capacity", 2)
    after = page.get_by_role("group", name="Once the planned measures are in place")
    rate(after, "Threat after the measures", 2)
    rate(after, "Vulnerability after the measures", 2)
    rate(after, "Capacity after the measures", 4)
    assert_fits_the_width(page)
    page.get_by_role("button", name="Save and continue").click()

    # Step 5: the decision, and another way considered.
    expect(page.get_by_text("The ratings were saved.")).to_be_visible()
    expect(
        page.get_by_role("heading", level=1, name="Is this risk worth the objective?")
    ).to_be_visible()
    page.get_by_label("Go with measures").check()
    page.get_by_label("Why").fill("The women need us there; the interpreter lowers the risk.")
    until = date.today() + timedelta(days=60)
    page.get_by_label("The decision holds until").fill(until.isoformat())
    alternative = page.get_by_role("group", name="Other ways to reach the same objective")
    alternative.get_by_label("Another way to reach the objective").fill(
        "Leave leaflets with the depot's cleaners."
    )
    alternative.get_by_label("Its estimated risk").select_option(label="Low")
    assert_fits_the_width(page)
    screenshot(page, "risk-decision-filled-360x740")
    page.get_by_role("button", name="Record the decision").click()

    # The situation page: the scores, the sentence that explains them, the decision, the map.
    expect(page).to_have_url(SITUATION_PAGE)
    expect(page.get_by_text("The decision is recorded.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    scores = page.locator(".score-card")
    expect(scores.first).to_contain_text("R = 4 × 3 / 2 = 6.0 High")
    expect(scores.first).to_contain_text(
        "Risk is high mainly because the threat is strong and capacities are low: "
        "reduce the threat first (allies, changing or postponing the activity)."
    )
    expect(scores.last).to_contain_text("R = 2 × 2 / 4 = 1.0 Low")
    expect(page.get_by_text("A threat is credible and current.", exact=True)).to_be_visible()
    threats = page.get_by_role("table", name="Threats with their scores")
    expect(threats).to_contain_text("Drivers from the depot offer the women work.")
    expect(threats).to_contain_text("Shaped by: Gender")
    expect(threats).to_contain_text("4 × 3 = 12 High")
    decision = page.get_by_role("region", name="Is this risk worth the objective?")
    expect(decision).to_contain_text("Go with measures")
    expect(decision).to_contain_text("Leave leaflets with the depot's cleaners. Low")
    expect(page.get_by_text(f"answers: {vulnerability}")).to_be_visible()
    heat_map = page.get_by_role("img", name=HEAT_MAP, exact=True)
    expect(heat_map).to_have_accessible_description(re.compile(r"^1 threat placed"))
    expect(heat_map_cell(heat_map, 4, 3).locator("text")).to_have_text("1")
    residual = page.get_by_role("img", name=RESIDUAL_HEAT_MAP, exact=True)
    expect(heat_map_cell(residual, 2, 3).locator("text")).to_have_text("1")
    assert_fits_the_width(page)
    screenshot(page, "risk-situation-decided-360x740")
    context.close()


def test_the_heat_map_shows_each_threat_in_its_square(open_page: OpenPage) -> None:
    page = open_page("risk-situation")
    likelihood, impact = RISK_THREAT["likelihood"], RISK_THREAT["impact"]

    heat_map = page.get_by_role("img", name=HEAT_MAP, exact=True)
    expect(heat_map).to_be_visible()
    expect(heat_map).to_have_accessible_description(
        "1 threat placed on a five by five grid: likelihood across, impact up."
    )
    cell = heat_map_cell(heat_map, likelihood, impact)
    expect(cell.locator("title")).to_have_text(
        f"Likelihood {likelihood}, impact {impact} (score 20, Critical): 1 threat"
    )
    count = cell.locator("text")
    expect(count).to_have_text("1")
    # Only that square holds a number.
    expect(heat_map.locator("g text")).to_have_count(1)
    # And it sits where a reader looks for it: above its likelihood, level with its impact.
    ticks = heat_map.locator("text.heat-tick")
    likelihood_tick = max(
        (ticks.filter(has_text=re.compile(rf"^{likelihood}$")).nth(i) for i in range(2)),
        key=lambda tick: center(tick)[1],
    )
    impact_tick = min(
        (ticks.filter(has_text=re.compile(rf"^{impact}$")).nth(i) for i in range(2)),
        key=lambda tick: center(tick)[0],
    )
    square = cell.locator("rect").bounding_box()
    assert square is not None
    across = square["x"], square["x"] + square["width"]
    up = square["y"], square["y"] + square["height"]
    count_x, count_y = center(count)
    assert across[0] < count_x < across[1] and up[0] < count_y < up[1]
    assert across[0] < center(likelihood_tick)[0] < across[1]
    assert up[0] < center(impact_tick)[1] < up[1]


@pytest.mark.browser_context_args(**PHONE)
def test_the_register_the_situation_and_its_plan_fit_a_phone(open_page: OpenPage) -> None:
    for name in ["risks", "risk-situation", "safety-plan"]:
        page = open_page(name)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_fits_the_width(page)
        screenshot(page, f"{name}-360x740")
        page.context.close()


def test_the_safety_plan_prints_without_the_app_around_it(open_page: OpenPage) -> None:
    page = open_page("safety-plan")
    notice = page.get_by_text("A printed plan leaves SafeSpaces")
    expect(notice).to_be_visible()

    page.emulate_media(media="print")

    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Quick exit")).to_be_hidden()
    expect(notice).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    plan = page.get_by_role("article")
    expect(plan.get_by_role("heading", level=1)).to_have_text(f"Safety plan: {RISK_SITUATION}")
    expect(plan.get_by_text("Reach women recruited at the station")).to_be_visible()
    expect(plan.get_by_text("Go with measures")).to_be_visible()
    for section, shows in [
        ("Top risks", "The recruiter's men follow outreach workers home."),
        ("Measures and who does them", "Ask the station police liaison to patrol on Thursdays."),
        ("Check-ins", "On arrival, every two hours, and once home."),
        ("Emergency contacts", "In immediate danger, call the emergency services first."),
    ]:
        region = plan.get_by_role("region", name=section, exact=True)
        expect(region).to_be_visible()
        expect(region.get_by_text(shows)).to_be_visible()
    contacts = plan.get_by_role("region", name="Emergency contacts", exact=True)
    expect(contacts.locator("a[href^='tel:']").first).to_be_visible()
    screenshot(page, "safety-plan-print")


def test_the_print_button_opens_the_print_dialog(open_page: OpenPage) -> None:
    page = open_page("safety-plan")
    page.evaluate("window.print = () => { window.__printed = true; }")

    page.get_by_role("button", name="Print").click()

    assert page.evaluate("window.__printed") is True


def test_staff_who_do_not_take_part_cannot_open_the_plan(
    browser: Browser, app: App, yara: Persona
) -> None:
    page = browser.new_context(base_url=app.url, locale="en").new_page()
    sign_in(page, yara)

    response = page.goto(f"/risks/{app.situation_code}/plan/")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_text(RISK_SITUATION)).to_have_count(0)


def test_staff_see_their_overdue_measure_on_their_home_page(open_page: OpenPage) -> None:
    page = open_page("home")

    panel = page.get_by_role("region", name="Risks and measures")
    overdue = panel.get_by_role("listitem").filter(
        has_text="Ask the station police liaison to patrol on Thursdays."
    )
    expect(overdue).to_contain_text("Ines")
    expect(overdue.get_by_role("button", name=re.compile(r"^Mark done"))).to_be_visible()
    # Staff do not assess: no register, no situations due.
    expect(panel.get_by_role("link", name="Risk register")).to_have_count(0)
