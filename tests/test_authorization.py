"""Every URL, every persona: the declared rule is the rule the app enforces.

To add a URL, declare its rule on the view with @access(...) and add it to EXPECTED here. A view
without a rule, or a URL missing from EXPECTED, fails this test.
"""

import pytest
from django.test import Client, override_settings

from safespaces.access import Access
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.urlwalk import ADMIN_NAMESPACE, undeclared, walk

EXPECTED: dict[str, Access] = {
    "home": Access.SIGNED_IN,
    "healthz": Access.PUBLIC,
    "quick_exit": Access.PUBLIC,
    "accounts:login": Access.PUBLIC,
    "accounts:verify": Access.PASSWORD_ONLY,
    "accounts:enrol": Access.PASSWORD_ONLY,
    "accounts:logout": Access.PASSWORD_ONLY,
    "accounts:account": Access.SIGNED_IN,
    "accounts:password_change": Access.SIGNED_IN,
    "accounts:authenticator": Access.SIGNED_IN,
    "accounts:backup_codes": Access.SIGNED_IN,
    "accounts:users": Access.ADMINISTRATOR,
    "accounts:second_factor_reset": Access.ADMINISTRATOR,
    "accounts:user_create": Access.ADMINISTRATOR,
    "accounts:user_role": Access.ADMINISTRATOR,
    "accounts:user_deactivate": Access.ADMINISTRATOR,
    "accounts:user_reactivate": Access.ADMINISTRATOR,
    "accounts:setup_link_issue": Access.ADMINISTRATOR,
    "accounts:setup": Access.PUBLIC,
    "audit:events": Access.ADMINISTRATOR,
    "people:list": Access.STAFF,
    "people:create": Access.COORDINATOR,
    "people:grants": Access.ADMINISTRATOR,
    "people:grant_revoke": Access.ADMINISTRATOR,
    "people:detail": Access.STAFF,
    "people:reveal": Access.STAFF,
    "people:edit": Access.COORDINATOR,
    "people:archive": Access.COORDINATOR,
    "people:access_report": Access.ADMINISTRATOR,
    "people:erase": Access.ADMINISTRATOR,
    "people:erasures": Access.ADMINISTRATOR,
    "people:erasure_approve": Access.ADMINISTRATOR,
    "people:erasure_cancel": Access.ADMINISTRATOR,
    "people:export": Access.ADMINISTRATOR,
    "places:list": Access.STAFF,
    "places:create": Access.COORDINATOR,
    "places:detail": Access.STAFF,
    "places:edit": Access.COORDINATOR,
    "places:archive": Access.COORDINATOR,
    "allies:list": Access.STAFF,
    "allies:create": Access.COORDINATOR,
    "allies:map": Access.STAFF,
    "allies:directory": Access.STAFF,
    "allies:directory_card": Access.STAFF,
    "allies:gaps": Access.COORDINATOR,
    "allies:detail": Access.STAFF,
    "allies:edit": Access.COORDINATOR,
    "allies:archive": Access.COORDINATOR,
    "allies:relation_create": Access.COORDINATOR,
    "allies:relation_delete": Access.COORDINATOR,
    "allies:engagement_create": Access.COORDINATOR,
    "allies:engagement_edit": Access.COORDINATOR,
    "allies:person_sharing": Access.COORDINATOR,
    "allies:sharing_withdraw": Access.COORDINATOR,
}
# A few admin pages stand for the whole admin site, which checks its own permission.
ADMIN_SAMPLES = ["/admin/", "/admin/accounts/user/", "/admin/audit/auditevent/"]

# What each persona may reach under each rule.
ALLOWED: dict[str, set[Access]] = {
    "anonymous": {Access.PUBLIC},
    "inactive": {Access.PUBLIC},
    "unverified": {Access.PUBLIC, Access.PASSWORD_ONLY},
    "staff": {Access.PUBLIC, Access.PASSWORD_ONLY, Access.SIGNED_IN, Access.STAFF},
    "coordinator": {
        Access.PUBLIC,
        Access.PASSWORD_ONLY,
        Access.SIGNED_IN,
        Access.STAFF,
        Access.COORDINATOR,
    },
    "administrator": set(Access),
}
# What a refused persona sees instead.
REFUSAL = {
    "anonymous": "login",
    "inactive": "login",
    "unverified": "second factor",
    "staff": "forbidden",
    "coordinator": "forbidden",
    "administrator": "forbidden",
}


def outcome(response: object) -> str:
    status, location = response.status_code, response.get("Location", "")  # type: ignore[attr-defined]
    if status == 302 and location == "/login/":
        return "login"
    if status == 302 and location in ("/login/verify/", "/login/enrol/"):
        return "second factor"
    if status == 403 or (status == 302 and location.startswith("/admin/login/")):
        return "forbidden"
    return "allowed"


def client_for(persona: str, users: dict[str, User]) -> Client:
    client = Client()
    if persona == "anonymous":
        return client
    if persona in ("unverified", "inactive"):
        client.force_login(users[persona])
        return client
    return sign_in(client, users[persona])


@pytest.fixture
def users(
    administrator: User, coordinator: User, staff: User, unverified: User, inactive: User
) -> dict[str, User]:
    return {
        "administrator": administrator,
        "coordinator": coordinator,
        "staff": staff,
        "unverified": unverified,
        "inactive": inactive,
    }


def test_every_view_declares_an_access_rule() -> None:
    assert undeclared() == []


def test_every_url_is_in_the_expected_table_with_the_same_rule() -> None:
    declared = {r.name: r.rule for r in walk() if not r.name.startswith(ADMIN_NAMESPACE + ":")}

    assert declared == EXPECTED


def test_the_walk_catches_a_view_without_a_rule() -> None:
    assert undeclared("tests.undeclared_urls") == ["forgotten"]


@override_settings(ROOT_URLCONF="tests.undeclared_urls")
def test_a_view_without_a_rule_is_refused_at_run_time(administrator: User) -> None:
    response = sign_in(Client(), administrator).get("/forgotten/")

    assert response.status_code == 403
    assert b"should never be served" not in response.content


@pytest.mark.parametrize("persona", list(ALLOWED))
def test_each_persona_gets_what_each_rule_allows(persona: str, users: dict[str, User]) -> None:
    failures = []
    for route in walk():
        if route.name.startswith(ADMIN_NAMESPACE + ":"):
            continue
        got = outcome(client_for(persona, users).get(route.path))
        want = "allowed" if route.rule in ALLOWED[persona] else REFUSAL[persona]
        if got == "second factor" and route.rule in (Access.PUBLIC, Access.PASSWORD_ONLY):
            got = "allowed"  # the sign-in pages send a half-signed-in user to the next step
        if got != want:
            failures.append(f"{route.name} ({route.path}): got {got}, want {want}")

    assert failures == []


@pytest.mark.parametrize("persona", list(ALLOWED))
def test_the_admin_site_is_for_verified_administrators_only(
    persona: str, users: dict[str, User]
) -> None:
    want = "allowed" if persona == "administrator" else REFUSAL[persona]

    got = {path: outcome(client_for(persona, users).get(path)) for path in ADMIN_SAMPLES}

    assert got == {path: want for path in ADMIN_SAMPLES}


def test_a_refused_role_is_recorded_in_the_audit_trail(staff: User) -> None:
    sign_in(Client(), staff).get("/audit/")

    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_DENIED)
    assert (event.actor, event.object_id) == (staff, "audit:events")
