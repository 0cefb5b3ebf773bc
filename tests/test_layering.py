"""The platform names no app built on it, in Python or in its templates: apps add their menu
entries, home page panels and person-page links themselves (`safespaces.navigation`)."""

import re
from pathlib import Path

from django.test import Client

from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.factories import PersonFactory

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_APPS = ["incidents", "allies", "riskassessment", "checkins"]
NAMES_A_DOMAIN_APP = re.compile(
    rf"^\s*(from|import)\s+({'|'.join(DOMAIN_APPS)})\b|\b({'|'.join(DOMAIN_APPS)}):[a-z_]+",
    re.MULTILINE,
)


def platform_files() -> list[Path]:
    templates = [
        path
        for path in (ROOT / "templates").rglob("*.html")
        if path.relative_to(ROOT / "templates").parts[0] not in DOMAIN_APPS
    ]
    return sorted((ROOT / "safespaces").rglob("*.py")) + templates


def test_the_platform_names_no_domain_app() -> None:
    files = platform_files()
    naming = [str(p.relative_to(ROOT)) for p in files if NAMES_A_DOMAIN_APP.search(p.read_text())]

    assert len(files) > 100  # the walk found the platform's files
    assert naming == []


def test_the_check_finds_an_import_and_a_url_name() -> None:
    assert NAMES_A_DOMAIN_APP.search("from incidents.models import Incident")
    assert NAMES_A_DOMAIN_APP.search("{% url 'allies:directory' %}")
    assert not NAMES_A_DOMAIN_APP.search("{% url 'people:list' %}")


def site_nav(page: str) -> str:
    return page.split('class="site-nav"')[1].split("</nav>")[0]


def menu_of(client: Client) -> list[str]:
    response = client.get("/")
    assert response.status_code == 200
    return re.findall(r">([^<>]+)</a>", site_nav(response.content.decode()))


def test_apps_put_their_menu_entries_between_the_platforms(client: Client, staff: User) -> None:
    assert menu_of(sign_in(client, staff)) == [
        "Home",
        "Incidents",
        "Check-ins",
        "People",
        "Allies",
        "Places",
        "My account",
    ]


def test_coordinators_see_risks_and_administrators_their_pages_too(
    client: Client, administrator: User
) -> None:
    assert menu_of(sign_in(client, administrator)) == [
        "Home",
        "Incidents",
        "Check-ins",
        "Risks",
        "People",
        "Allies",
        "Places",
        "My account",
        "Users",
        "Identity access",
        "Audit log",
        "Records admin",
    ]


def test_the_menu_marks_the_section_of_the_page(client: Client, staff: User) -> None:
    response = sign_in(client, staff).get("/incidents/new/")

    nav = site_nav(response.content.decode())
    assert response.status_code == 200
    assert '<a href="/incidents/" aria-current="page">Incidents</a>' in nav
    assert nav.count('aria-current="page"') == 1


def test_the_home_page_offers_logging_first_then_who_to_call(client: Client, staff: User) -> None:
    page = sign_in(client, staff).get("/").content.decode()

    assert 0 < page.index("Log an incident") < page.index("Who to call in an emergency")


def test_apps_add_links_to_a_persons_page_for_whom_they_concern(
    client: Client, staff: User, coordinator: User
) -> None:
    person = PersonFactory()
    link = f'href="/allies/sharing/{person.pk}/"'

    as_staff = sign_in(client, staff).get(f"/people/{person.pk}/")
    as_coordinator = sign_in(Client(), coordinator).get(f"/people/{person.pk}/")

    assert (as_staff.status_code, as_coordinator.status_code) == (200, 200)
    assert person.alias in as_staff.content.decode()
    assert link not in as_staff.content.decode()
    assert link in as_coordinator.content.decode()
