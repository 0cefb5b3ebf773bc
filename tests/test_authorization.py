"""Every URL, every persona: the declared rule is the rule the app enforces.

To add a URL, declare its rule on the view with @access(...) and add it to EXPECTED here. A view
without a rule, or a URL missing from EXPECTED, fails this test. A URL of one object (a `code`)
names the object's access helper with `of=`, and goes in INCIDENT_URLS, RISK_URLS or
OBJECT_URLS: whoever may not see the object gets 404 there, whatever their role; whoever may see
it gets the role's answer.
"""

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from allies.models import Engagement, Relation, SharingConsent
from checkins.models import CheckIn
from incidents import services as incident_services
from incidents.attachments import check_upload
from incidents.models import Incident, TimelineEntry
from incidents.urls import urlpatterns as incident_urls
from riskassessment.models import Assessment, Measure
from riskassessment.scoring import Level
from riskassessment.urls import urlpatterns as risk_urls
from safespaces.access import Access
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role
from safespaces.audit.models import AuditEvent
from safespaces.people.models import ErasureRequest, IdentityGrant, Person
from safespaces.places.models import Place
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    CheckInFactory,
    EngagementFactory,
    ErasureRequestFactory,
    IdentityGrantFactory,
    IncidentFactory,
    MeasureFactory,
    PersonFactory,
    PlaceFactory,
    RelationFactory,
    RiskAssessmentFactory,
    RiskSituationFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.incidents import samples as files
from tests.incidents.conftest import attachments_dir  # noqa: F401 - a fixture used here too
from tests.urlwalk import ADMIN_NAMESPACE, Route, Samples, undeclared, walk

EXPECTED: dict[str, Access] = {
    "home": Access.SIGNED_IN,
    "healthz": Access.PUBLIC,
    "readyz": Access.PUBLIC,
    "quick_exit": Access.PUBLIC,
    "accounts:login": Access.PUBLIC,
    "accounts:language_switch": Access.PUBLIC,
    "accounts:verify": Access.PASSWORD_ONLY,
    "accounts:enrol": Access.PASSWORD_ONLY,
    "accounts:logout": Access.PASSWORD_ONLY,
    "accounts:account": Access.SIGNED_IN,
    "accounts:account_language": Access.SIGNED_IN,
    "accounts:password_change": Access.SIGNED_IN,
    "accounts:authenticator": Access.SIGNED_IN,
    "accounts:backup_codes": Access.SIGNED_IN,
    "accounts:sessions_end_others": Access.SIGNED_IN,
    "accounts:users": Access.ADMINISTRATOR,
    "accounts:second_factor_reset": Access.ADMINISTRATOR,
    "accounts:user_create": Access.ADMINISTRATOR,
    "accounts:user_role": Access.ADMINISTRATOR,
    "accounts:user_deactivate": Access.ADMINISTRATOR,
    "accounts:user_reactivate": Access.ADMINISTRATOR,
    "accounts:setup_link_issue": Access.ADMINISTRATOR,
    "accounts:setup": Access.PUBLIC,
    "accounts:setup_old_link": Access.PUBLIC,
    "audit:events": Access.ADMINISTRATOR,
    "checkins:list": Access.STAFF,
    "checkins:start": Access.STAFF,
    "checkins:start_for_situation": Access.STAFF,
    "checkins:detail": Access.STAFF,
    "checkins:safe": Access.STAFF,
    "checkins:more_time": Access.STAFF,
    "checkins:end": Access.STAFF,
    "checkins:help": Access.STAFF,
    "checkins:acknowledge": Access.STAFF,
    "checkins:note": Access.STAFF,
    "checkins:close": Access.STAFF,
    "checkins:log_incident": Access.STAFF,
    "notifications:inbox": Access.SIGNED_IN,
    "notifications:read": Access.SIGNED_IN,
    "notifications:read_all": Access.SIGNED_IN,
    "notifications:preferences": Access.SIGNED_IN,
    "notifications:failures": Access.ADMINISTRATOR,
    "people:list": Access.STAFF,
    "people:create": Access.COORDINATOR,
    "people:pick": Access.STAFF,
    "accounts:pick_colleague": Access.STAFF,
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
    "places:pick": Access.STAFF,
    "places:detail": Access.STAFF,
    "places:edit": Access.COORDINATOR,
    "places:archive": Access.COORDINATOR,
    "allies:list": Access.STAFF,
    "allies:create": Access.COORDINATOR,
    "allies:pick": Access.STAFF,
    "allies:pick_engagement": Access.COORDINATOR,
    "incidents:pick": Access.COORDINATOR,
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
    "incidents:list": Access.STAFF,
    "incidents:create": Access.STAFF,
    "incidents:draft_discard": Access.STAFF,
    "incidents:welfare": Access.COORDINATOR,
    "incidents:trends": Access.STAFF,
    "incidents:patterns": Access.COORDINATOR,
    "incidents:export": Access.STAFF,
    "incidents:attachment_download": Access.STAFF,
    "incidents:detail": Access.STAFF,
    "incidents:edit": Access.STAFF,
    "incidents:status": Access.COORDINATOR,
    "incidents:entry_create": Access.STAFF,
    "incidents:entry_correct": Access.STAFF,
    "incidents:report": Access.STAFF,
    "incidents:attachment_create": Access.STAFF,
    "incidents:assessment": Access.COORDINATOR,
    "incidents:review_create": Access.COORDINATOR,
    "incidents:welfare_done": Access.COORDINATOR,
    "riskassessment:register": Access.COORDINATOR,
    "riskassessment:create": Access.COORDINATOR,
    "riskassessment:detail": Access.COORDINATOR,
    "riskassessment:edit": Access.COORDINATOR,
    "riskassessment:assessment_start": Access.COORDINATOR,
    "riskassessment:measure_create": Access.COORDINATOR,
    "riskassessment:plan": Access.STAFF,
    "riskassessment:assessment": Access.COORDINATOR,
    "riskassessment:threats": Access.COORDINATOR,
    "riskassessment:vulnerabilities": Access.COORDINATOR,
    "riskassessment:capacities": Access.COORDINATOR,
    "riskassessment:ratings": Access.COORDINATOR,
    "riskassessment:decide": Access.COORDINATOR,
    "riskassessment:approve": Access.COORDINATOR,
    "riskassessment:measure_edit": Access.COORDINATOR,
    "riskassessment:measure_status": Access.STAFF,
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
# What a refused persona sees instead. Signed-in people may also get 404 from a URL of one
# object they may not see: it comes before the role check (see test_an_object_url_*).
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
    # Exactly "/login/": the redirect never carries the requested path (no "?next=").
    if status == 302 and location == "/login/":
        return "login"
    if status == 302 and location in ("/login/verify/", "/login/enrol/"):
        return "second factor"
    if status == 403 or (status == 302 and location.startswith("/admin/login/")):
        return "forbidden"
    if status == 404:
        return "hidden"
    return "allowed"


def of_one_object(route: Route) -> bool:
    return "code" in route.keywords


def client_for(persona: str, users: dict[str, User]) -> Client:
    client = Client()
    if persona == "anonymous":
        return client
    if persona in ("unverified", "inactive"):
        client.force_login(users[persona])
        return client
    return sign_in(client, users[persona])


# The URLs of one incident (its `code`), and how each is used. The attachment download takes an
# attachment's code and is left to the attachment tests.
INCIDENT_URLS = {
    "incidents:detail": "get",
    "incidents:edit": "get",
    "incidents:status": "post",
    "incidents:entry_create": "get",
    "incidents:entry_correct": "get",
    "incidents:report": "get",
    "incidents:attachment_create": "get",
    "incidents:assessment": "get",
    "incidents:review_create": "get",
    "incidents:welfare_done": "post",
}
POSTED = {"incidents:status": {"status": "under_review"}}
# Who may see an incident logged by Lin (staff) who, for a named one, named Jo.
MAY_SEE = {
    "team": {"administrator", "coordinator", "reporter", "named", "other staff"},
    "coordinators": {"administrator", "coordinator", "reporter"},
    "named": {"administrator", "reporter", "named"},
}
INCIDENT_PERSONAS = {
    "administrator": "administrator",
    "coordinator": "coordinator",
    "reporter": "staff",
    "named": "named_staff",
    "other staff": "other_staff",
}


# The URLs of one risk situation, assessment or measure (what their `code` is), and how each is
# used.
RISK_URLS = {
    "riskassessment:detail": ("situation", "get"),
    "riskassessment:edit": ("situation", "get"),
    "riskassessment:assessment_start": ("situation", "get"),
    "riskassessment:measure_create": ("situation", "get"),
    "riskassessment:plan": ("situation", "get"),
    "riskassessment:assessment": ("assessment", "get"),
    "riskassessment:threats": ("assessment", "get"),
    "riskassessment:vulnerabilities": ("assessment", "get"),
    "riskassessment:capacities": ("assessment", "get"),
    "riskassessment:ratings": ("assessment", "get"),
    "riskassessment:decide": ("assessment", "get"),
    "riskassessment:approve": ("decision", "post"),
    "riskassessment:measure_edit": ("measure", "get"),
    "riskassessment:measure_status": ("measure", "post"),
    # Started from a safety plan: whoever may open the plan.
    "checkins:start_for_situation": ("situation", "get"),
}
RISK_POSTED = {"riskassessment:measure_status": {"status": "done"}}
# Lin (staff) takes part in the situation and owns its measure; Sam (other staff) does neither.
RISK_PERSONAS = {
    "administrator": "administrator",
    "coordinator": "coordinator",
    "taking part": "staff",
    "other staff": "other_staff",
}


def risk_code(kind: str, staff: User) -> str:
    """A record of `kind` in a situation Lin takes part in, with a measure she owns. A decision
    is one a third coordinator took on a high residual risk, so either persona may approve it."""
    situation = RiskSituationFactory(participants=[staff])
    if kind == "measure":
        return str(MeasureFactory(situation=situation, owner=staff).pk)
    if kind == "assessment":
        return str(RiskAssessmentFactory(situation=situation).pk)
    if kind == "decision":
        decided = RiskAssessmentFactory(
            situation=situation,
            decision="go_with_measures",
            decided_by=UserFactory(role=Role.COORDINATOR),
            residual_level=Level.HIGH,
        )
        return str(decided.pk)
    return str(situation.pk)


@pytest.fixture
def samples(staff: User, attachments_dir: Path) -> Samples:  # noqa: F811 - the fixture
    """A record for every URL of one object, one that everyone its rule allows may see: a team
    incident Lin logged, with a note; records of a situation Lin takes part in; and for the other
    URLs, what OBJECT_KINDS makes first for each kind (Lin may see it, or its rule is beyond
    staff)."""
    incident = IncidentFactory(reporter=staff)
    values = {"code": str(incident.pk), "entry": str(TimelineEntryFactory(incident=incident).pk)}
    risk_values = {name: {"code": risk_code(kind, staff)} for name, (kind, _) in RISK_URLS.items()}
    object_values = {
        name: {"code": OBJECT_KINDS[kind][0].make(staff)} for name, (kind, _) in OBJECT_URLS.items()
    }
    return {name: values for name in INCIDENT_URLS} | risk_values | object_values


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
    assert b"This page is not for your role" in response.content
    assert b"should never be served" not in response.content


@pytest.mark.parametrize("persona", list(ALLOWED))
def test_each_persona_gets_what_each_rule_allows(
    persona: str, users: dict[str, User], samples: Samples
) -> None:
    # The sign-in pages may end the session they are given (the login page signs out whoever
    # opens it): each gets a sign-in of its own. The other pages share one; a page that ended it
    # would turn every later answer into "login", which fails the test rather than hiding it.
    shared = client_for(persona, users)
    failures = []
    for route in walk(samples=samples):
        if route.name.startswith(ADMIN_NAMESPACE + ":"):
            continue
        signing_in = route.rule in (Access.PUBLIC, Access.PASSWORD_ONLY)
        client = client_for(persona, users) if signing_in else shared
        got = outcome(client.get(route.path))
        want = "allowed" if route.rule in ALLOWED[persona] else REFUSAL[persona]
        if got == "second factor" and route.rule in (Access.PUBLIC, Access.PASSWORD_ONLY):
            got = "allowed"  # the sign-in pages send a half-signed-in user to the next step
        if got == "hidden" and not of_one_object(route):
            got = "allowed"  # past the role check, a random record of another kind is not found
        if got == "hidden" and want == "forbidden" and of_one_object(route):
            got = "forbidden"  # an object they may not see: the object tests say which
        if got != want:
            failures.append(f"{route.name} ({route.path}): got {got}, want {want}")

    assert failures == []


@pytest.mark.parametrize("persona", list(ALLOWED))
def test_the_admin_site_is_for_verified_administrators_only(
    persona: str, users: dict[str, User]
) -> None:
    want = "allowed" if persona == "administrator" else REFUSAL[persona]

    client = client_for(persona, users)

    got = {path: outcome(client.get(path)) for path in ADMIN_SAMPLES}

    assert got == {path: want for path in ADMIN_SAMPLES}


def test_every_url_of_one_object_names_its_access_helper() -> None:
    routes = [route for route in walk() if of_one_object(route)]
    helpers = {route.name: getattr(route.helper, "__name__", None) for route in routes}
    unnamed = [name for name, helper in helpers.items() if helper is None]
    misnamed = [
        name for name, helper in helpers.items() if helper and not HELPER_NAME.match(helper)
    ]

    assert len(routes) > 40  # the walk found the URLs of one object
    assert unnamed == []
    assert misnamed == []
    assert helpers["incidents:status"] == "get_incident_for_user"


def test_every_url_of_one_object_is_in_a_visibility_matrix() -> None:
    with_a_code = {route.name for route in walk() if of_one_object(route)}

    assert with_a_code == set(INCIDENT_URLS) | set(RISK_URLS) | set(OBJECT_URLS)


def test_a_refused_role_is_recorded_in_the_audit_trail(staff: User) -> None:
    sign_in(Client(), staff).get("/audit/")

    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_DENIED)
    assert (event.actor, event.object_id) == (staff, "audit:events")


def test_every_url_of_an_incident_is_in_the_visibility_matrix() -> None:
    with_a_code = {f"incidents:{p.name}" for p in incident_urls if "code" in p.pattern.converters}

    # An attachment's URL takes the attachment's code: it is in OBJECT_URLS.
    assert with_a_code - {"incidents:attachment_download"} == set(INCIDENT_URLS)


def role_answer(name: str, persona: str) -> int:
    """What someone who may see the incident gets from `name`."""
    coordinating = persona in ("administrator", "coordinator")
    if EXPECTED[name] is Access.COORDINATOR and not coordinating:
        return 403
    if name == "incidents:edit" and not (coordinating or persona == "reporter"):
        return 403  # staff complete their own reports only
    return 302 if INCIDENT_URLS[name] == "post" else 200


@pytest.mark.parametrize("visibility", list(MAY_SEE))
@pytest.mark.parametrize("persona", list(INCIDENT_PERSONAS))
def test_each_incident_url_answers_404_to_outsiders_and_by_role_to_the_rest(
    persona: str, visibility: str, request: pytest.FixtureRequest, db: None
) -> None:
    reporter, named = request.getfixturevalue("staff"), request.getfixturevalue("named_staff")
    # One sign-in for every URL of the matrix's row.
    client = sign_in(Client(), request.getfixturevalue(INCIDENT_PERSONAS[persona]))
    failures = []
    for name, method in INCIDENT_URLS.items():
        # An incident of its own for each URL: a POST changes the one it is given.
        incident = IncidentFactory(reporter=reporter, visibility=visibility, welfare_follow_up=True)
        if visibility == "named":
            incident.shared_with.set([named])
        kwargs = {"code": incident.pk}
        if name == "incidents:entry_correct":
            kwargs["entry"] = TimelineEntryFactory(incident=incident).pk

        if method == "post":
            response = client.post(reverse(name, kwargs=kwargs), POSTED.get(name, {}))
        else:
            response = client.get(reverse(name, kwargs=kwargs))

        want = role_answer(name, persona) if persona in MAY_SEE[visibility] else 404
        if response.status_code != want:
            failures.append(f"{name}: got {response.status_code}, want {want}")
        elif want == 404:
            entries = TimelineEntry.objects.filter(incident=incident).count()
            status = Incident.objects.get(pk=incident.pk).status
            if (entries, status) != ((1 if name == "incidents:entry_correct" else 0), "new"):
                failures.append(f"{name}: an outsider changed the incident ({entries}, {status})")

    assert failures == []


def test_every_url_of_a_risk_situation_is_in_the_visibility_matrix() -> None:
    with_a_code = {f"riskassessment:{p.name}" for p in risk_urls if "code" in p.pattern.converters}

    assert with_a_code == {name for name in RISK_URLS if name.startswith("riskassessment:")}


def risk_answer(name: str, persona: str) -> int:
    """What `persona` gets from `name` for a record of Lin's situation."""
    coordinating = persona in ("administrator", "coordinator")
    if not coordinating and persona != "taking part":
        # Staff see only the situations they take part in and their own measures. The record
        # is looked up before the role is checked, so coordinators' pages answer 404 too: the
        # answer tells them nothing about which situations exist.
        return 404
    if EXPECTED[name] is Access.COORDINATOR and not coordinating:
        return 403
    return 302 if RISK_URLS[name][1] == "post" else 200


def approved_and_moved() -> tuple[int, int]:
    """How many assessments are approved and how many measures have left "planned"."""
    return (
        Assessment.objects.filter(approved_by__isnull=False).count(),
        Measure.objects.exclude(status="planned").count(),
    )


@pytest.mark.parametrize("persona", list(RISK_PERSONAS))
def test_each_risk_url_answers_404_to_outsiders_and_by_role_to_the_rest(
    persona: str, request: pytest.FixtureRequest, db: None
) -> None:
    staff = request.getfixturevalue("staff")
    client = sign_in(Client(), request.getfixturevalue(RISK_PERSONAS[persona]))
    failures = []
    for name, (kind, method) in RISK_URLS.items():
        # A record of its own for each URL: a POST changes the one it is given.
        url = reverse(name, kwargs={"code": risk_code(kind, staff)})
        before = approved_and_moved()

        if method == "post":
            response = client.post(url, RISK_POSTED.get(name, {}))
        else:
            response = client.get(url)

        want = risk_answer(name, persona)
        if response.status_code != want:
            failures.append(f"{name}: got {response.status_code}, want {want}")
        elif want in (403, 404) and approved_and_moved() != before:
            failures.append(f"{name}: a refused request approved or moved something")

    assert failures == []


# The URLs of one object of the other kinds, what kind of object their `code` is, and how each is
# used.
OBJECT_URLS = {
    "incidents:attachment_download": ("attachment", "get"),
    "allies:detail": ("actor", "get"),
    "allies:edit": ("actor", "get"),
    "allies:archive": ("actor", "get"),
    "allies:relation_create": ("actor", "get"),
    "allies:engagement_create": ("actor", "get"),
    "allies:relation_delete": ("relation", "post"),
    "allies:engagement_edit": ("engagement", "get"),
    "allies:person_sharing": ("person", "get"),
    "allies:sharing_withdraw": ("consent", "post"),
    "people:detail": ("person", "get"),
    "people:reveal": ("person", "post"),
    "people:edit": ("person", "get"),
    "people:archive": ("person", "post"),
    "people:access_report": ("person", "get"),
    "people:erase": ("person", "get"),
    "people:erasure_approve": ("erasure", "post"),
    "people:erasure_cancel": ("erasure", "post"),
    "people:grant_revoke": ("grant", "post"),
    "places:detail": ("place", "get"),
    "places:edit": ("place", "get"),
    "places:archive": ("place", "post"),
    "checkins:detail": ("checkin", "get"),
    "checkins:safe": ("checkin", "post"),
    "checkins:more_time": ("checkin", "post"),
    "checkins:end": ("checkin", "post"),
    "checkins:help": ("checkin", "post"),
    "checkins:acknowledge": ("checkin", "post"),
    "checkins:note": ("checkin", "post"),
    "checkins:close": ("checkin", "post"),
    "checkins:log_incident": ("checkin", "post"),
}
OBJECT_POSTED = {
    "checkins:more_time": {"minutes": "30"},
    "checkins:note": {"note": "Called her phone twice."},
    "checkins:close": {"outcome": "safe"},
}
# Only the person out in the field answers their own check-in; only the others who may see it
# respond to its alarm.
THEIRS_ONLY = {"checkins:safe", "checkins:more_time", "checkins:end", "checkins:help"}
RESPONDERS_ONLY = {
    "checkins:acknowledge",
    "checkins:note",
    "checkins:close",
    "checkins:log_incident",
}
# Lin is staff; Sam is other staff; the coordinator and the administrator are one each.
OBJECT_PERSONAS = {
    "administrator": "administrator",
    "coordinator": "coordinator",
    "staff": "staff",
    "other staff": "other_staff",
}
EVERYONE = frozenset(OBJECT_PERSONAS)
COORDINATING = frozenset({"administrator", "coordinator"})
HELPER_NAME = re.compile(r"^get_[a-z_]+_for_user$")


class Made:
    """A way to make a record of one kind, and who may see it."""

    def __init__(self, make: Callable[[User], str], sees: frozenset[str]) -> None:
        self.make = make
        self.sees = sees


def _attachment(visibility: str) -> Callable[[User], str]:
    def make(staff: User) -> str:
        incident = IncidentFactory(reporter=staff, visibility=visibility)
        upload = check_upload(SimpleUploadedFile("note.pdf", files.pdf(b"Seen"), "application/pdf"))
        return str(incident_services.attachment_add(incident=incident, upload=upload, by=staff).pk)

    return make


def _consent(staff: User) -> str:
    consent = SharingConsent.objects.create(
        person=PersonFactory(), ally=ActorFactory(), recorded_by=staff, given_on=date(2026, 3, 2)
    )
    return str(consent.pk)


def _lins_alarm(staff: User) -> str:
    """Lin missed her check-in and Sam watches it: with the alarm raised, coordinators see it."""
    # Sam, the other staff persona, when the test signed him in; a stand-in otherwise.
    other_staff = User.objects.filter(username="sam").first() or UserFactory(username="sam")
    alarm = CheckInFactory(
        person=staff,
        watchers=[other_staff],
        status="alarm",
        alarm="missed",
        alarm_at=timezone.now(),
    )
    return str(alarm.pk)


def _someone_elses(**alarm: object) -> Callable[[User], str]:
    return lambda staff: str(CheckInFactory(**alarm).pk)


def _archived_person(staff: User) -> str:
    return str(PersonFactory(archived_at=timezone.now()).pk)


# For each kind, records and who may see each: the first is one Lin may see where staff may see
# any (the walk above uses it), the others one she may not.
OBJECT_KINDS: dict[str, list[Made]] = {
    "attachment": [
        Made(_attachment("team"), EVERYONE),
        Made(_attachment("coordinators"), frozenset({"administrator", "coordinator", "staff"})),
    ],
    "actor": [
        Made(lambda staff: str(ActorFactory().pk), EVERYONE),
        Made(lambda staff: str(AdversaryFactory().pk), COORDINATING),
    ],
    "relation": [Made(lambda staff: str(RelationFactory().pk), COORDINATING)],
    "engagement": [Made(lambda staff: str(EngagementFactory().pk), COORDINATING)],
    "consent": [Made(_consent, COORDINATING)],
    "person": [
        Made(lambda staff: str(PersonFactory().pk), EVERYONE),
        Made(_archived_person, COORDINATING),
    ],
    "erasure": [Made(lambda staff: str(ErasureRequestFactory().pk), frozenset({"administrator"}))],
    "grant": [Made(lambda staff: str(IdentityGrantFactory().pk), frozenset({"administrator"}))],
    "place": [
        Made(lambda staff: str(PlaceFactory().pk), EVERYONE),
        Made(lambda staff: str(PlaceFactory(archived=True).pk), COORDINATING),
    ],
    "checkin": [
        Made(_lins_alarm, EVERYONE),
        # Where a colleague is tonight is for their watchers until an alarm: nobody here.
        Made(_someone_elses(), frozenset()),
        Made(_someone_elses(status="alarm", alarm="help", alarm_at=timezone.now()), COORDINATING),
    ],
}
ROLE_OF = {
    "administrator": Role.ADMINISTRATOR,
    "coordinator": Role.COORDINATOR,
    "staff": Role.STAFF,
    "other staff": Role.STAFF,
}
RULE_ROLE = {
    Access.STAFF: Role.STAFF,
    Access.COORDINATOR: Role.COORDINATOR,
    Access.ADMINISTRATOR: Role.ADMINISTRATOR,
}
RANK = [Role.STAFF, Role.COORDINATOR, Role.ADMINISTRATOR]
# What each model's rows look like when nothing was done to them.
UNTOUCHED: dict[str, Callable[[], object]] = {
    "relation": lambda: Relation.objects.count(),
    "engagement": lambda: sorted(Engagement.objects.values_list("outcome", flat=True)),
    "consent": lambda: SharingConsent.objects.filter(withdrawn_on__isnull=True).count(),
    "person": lambda: Person.objects.filter(archived_at__isnull=False).count(),
    "erasure": lambda: ErasureRequest.objects.filter(approved_at__isnull=True).count(),
    "grant": lambda: IdentityGrant.objects.filter(revoked_at__isnull=True).count(),
    "place": lambda: Place.objects.filter(archived=True).count(),
    "checkin": lambda: sorted(CheckIn.objects.values_list("version", flat=True)),
}


def object_answer(name: str, persona: str, sees: frozenset[str]) -> int:
    """What `persona` gets from `name` for a record that `sees` may see."""
    if persona not in sees:
        return 404  # before the role: the answer of a code that does not exist
    if RANK.index(ROLE_OF[persona]) < RANK.index(RULE_ROLE[EXPECTED[name]]):
        return 403
    if name == "people:reveal" and persona != "administrator":
        return 403  # an identity needs a grant, which nobody here holds
    if name == "people:reveal":
        return 303  # to the page that shows the identity once
    if name in THEIRS_ONLY and persona != "staff":
        return 403  # Lin's own check-in is the only one of theirs here
    if name in RESPONDERS_ONLY and persona == "staff":
        return 403
    return 302 if OBJECT_URLS[name][1] == "post" else 200


OBJECT_CASES = [
    (name, index)
    for name, (kind, _method) in OBJECT_URLS.items()
    for index in range(len(OBJECT_KINDS[kind]))
]


@pytest.mark.parametrize("persona", list(OBJECT_PERSONAS))
def test_each_object_url_answers_404_to_outsiders_and_by_role_to_the_rest(
    persona: str,
    request: pytest.FixtureRequest,
    attachments_dir: Path,  # noqa: F811 - the fixture
) -> None:
    staff = request.getfixturevalue("staff")
    client = sign_in(Client(), request.getfixturevalue(OBJECT_PERSONAS[persona]))
    failures = []
    for name, record in OBJECT_CASES:
        kind, method = OBJECT_URLS[name]
        made = OBJECT_KINDS[kind][record]
        # A record of its own for each URL: a POST changes the one it is given.
        code = made.make(staff)
        untouched = UNTOUCHED.get(kind, lambda: None)()

        if method == "post":
            response = client.post(
                reverse(name, kwargs={"code": code}), OBJECT_POSTED.get(name, {})
            )
        else:
            response = client.get(reverse(name, kwargs={"code": code}))

        want = object_answer(name, persona, made.sees)
        case = f"{name} (record {record})"
        if response.status_code != want:
            failures.append(f"{case}: got {response.status_code}, want {want}")
        elif want in (403, 404) and UNTOUCHED.get(kind, lambda: None)() != untouched:
            failures.append(f"{case}: a refused request changed the record")
        elif want in (403, 404) and b"Legal Name" in response.content:
            failures.append(f"{case}: a refused request showed an identity")

    assert failures == []
