"""Create the browser tests' personas in the app's database and print their secrets as JSON.

Run by the `app` fixture in a subprocess (`python -m tests.browser.seed`), which first migrates
the throwaway database the test server uses: the browser tests never touch the database from the
test process.
Every persona has the factories' password. Each signs in with TOTP in at most one test, because
the server accepts a code once and only within a minute or so of its time step.
"""

import json
import secrets
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class PersonaSpec:
    username: str
    display_name: str
    role: str | None
    authenticator: bool
    backup_codes: bool


PERSONAS = [
    # Lin, staff: signs in with her password and her authenticator app.
    PersonaSpec("lin", "Lin", "Staff", authenticator=True, backup_codes=False),
    # Noor, new staff: has a password and no second factor; enrols an authenticator.
    PersonaSpec("noor", "Noor", "Staff", authenticator=False, backup_codes=False),
    # Sam, staff who lost his phone: signs in with one of his backup codes.
    PersonaSpec("sam", "Sam", "Staff", authenticator=True, backup_codes=True),
    # Rosa, a coordinator: leaves with the Quick exit button.
    PersonaSpec("rosa", "Rosa", "Coordinator", authenticator=True, backup_codes=False),
    # Amina, an administrator: leaves by pressing Shift three times.
    PersonaSpec("amina", "Amina", "Administrator", authenticator=True, backup_codes=False),
    # Ines, staff, set up like most people: her one signed-in session is shared by the tests that
    # only look at pages.
    PersonaSpec("ines", "Ines", "Staff", authenticator=True, backup_codes=True),
    # Dara, new staff: opens the enrolment page for the page checks and never finishes it.
    PersonaSpec("dara", "Dara", "Staff", authenticator=False, backup_codes=False),
    # Bea, an administrator: gives Kim access to Heron's identity.
    PersonaSpec("bea", "Bea", "Administrator", authenticator=True, backup_codes=False),
    # Kim, staff accompanying Heron to court: reveals Heron's identity once she has access.
    PersonaSpec("kim", "Kim", "Staff", authenticator=True, backup_codes=False),
    # Cora, a coordinator: her one signed-in session is shared by the checks of the pages only
    # coordinators see (the whole actor map, the gaps, the forms).
    PersonaSpec("cora", "Cora", "Coordinator", authenticator=True, backup_codes=False),
    # Tess, staff: logs an incident from her phone.
    PersonaSpec("tess", "Tess", "Staff", authenticator=True, backup_codes=False),
    # Pia, staff: logs an incident from her phone, finding the place and who was affected by
    # typing, with JavaScript and without.
    PersonaSpec("pia", "Pia", "Staff", authenticator=True, backup_codes=False),
    # Fay and Finn, staff: filter the incident list by a place found by typing, Fay with
    # JavaScript and Finn without.
    PersonaSpec("fay", "Fay", "Staff", authenticator=True, backup_codes=False),
    PersonaSpec("finn", "Finn", "Staff", authenticator=True, backup_codes=False),
    # Yara, staff who does not take part in the station outreach: its safety plan is not hers.
    PersonaSpec("yara", "Yara", "Staff", authenticator=True, backup_codes=False),
    # Zoe, staff: starts a check-in from her phone before going out, and misses it.
    PersonaSpec("zoe", "Zoe", "Staff", authenticator=True, backup_codes=False),
    # Mara, the coordinator who watches Zoe's check-in: answers the alarm from her phone.
    PersonaSpec("mara", "Mara", "Coordinator", authenticator=True, backup_codes=False),
    # Wren, staff: leaves a half-written incident log with Shift three times, and finds it again.
    PersonaSpec("wren", "Wren", "Staff", authenticator=True, backup_codes=False),
    # Uma and Vic, coordinators: edit the same incident at once, Vic from her phone.
    PersonaSpec("uma", "Uma", "Coordinator", authenticator=True, backup_codes=False),
    PersonaSpec("vic", "Vic", "Coordinator", authenticator=True, backup_codes=False),
]
# Heron, a survivor member whose identity only people with access may reveal.
HERON = {"alias": "Heron", "legal_name": "Marisol Example", "phone": "+44 7700 900777"}
# The ally whose page the page checks open: in the directory, so staff such as Ines see it.
ALLY = "Harbourside Women's Shelter"
# The risk situation the page checks open: assessed and decided by Rosa, with Ines taking part
# and owning an overdue measure, so her home page shows the risk panel. Its one threat sits at
# likelihood 4, impact 5 on the heat map.
RISK_SITUATION = "Thursday night outreach at the station"
RISK_THREAT = {"likelihood": 4, "impact": 5}


def seed() -> dict[str, dict[str, object]]:
    from django.contrib.auth.hashers import make_password
    from django.test.utils import override_settings
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from allies import demo as allies_demo
    from allies.models import Actor
    from incidents import demo as incidents_demo
    from incidents.models import Incident, Visibility
    from safespaces.accounts.models import User
    from safespaces.accounts.roles import Role
    from safespaces.accounts.services import backup_codes_regenerate
    from safespaces.demo import PLACES
    from safespaces.places.models import Place
    from tests.factories import PASSWORD, PersonFactory, UserFactory

    secrets_by_username: dict[str, dict[str, object]] = {}
    users = {}
    # Every persona gets the same Argon2 hash of the shared password, computed once: the server
    # still checks passwords as in production, and the seed saves a third of a second a persona.
    password_hash = make_password(PASSWORD)
    quick = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    for spec in PERSONAS:
        with quick:
            user = users[spec.username] = UserFactory(
                username=spec.username,
                display_name=spec.display_name,
                role=Role(spec.role) if spec.role else None,
                authenticator=False,
            )
        totp_key = None
        if spec.authenticator:
            # A key we know, so the test can compute the codes the person's phone would show.
            totp_key = secrets.token_hex(20)
            TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True, key=totp_key)
        codes = backup_codes_regenerate(user=user) if spec.backup_codes else []
        secrets_by_username[spec.username] = {"totp_key": totp_key, "backup_codes": codes}
    User.objects.update(password=password_hash)
    heron = PersonFactory(**HERON)
    secrets_by_username["_heron"] = {"code": str(heron.pk)}
    # The demo's places, then its fictional actors, whose areas are those places, recorded by
    # Rosa, a coordinator. Staff such as Ines see the allies among them; coordinators everyone.
    for place in PLACES:
        Place.objects.create(kind=place.kind, name=place.name, address=place.address)
    allies_demo.seed(users["rosa"])
    # Names are encrypted: find the ally by reading them.
    ally = next(actor for actor in Actor.objects.all() if actor.name == ALLY)
    secrets_by_username["_ally"] = {"code": str(ally.pk)}
    # The demo's incidents, reported by Rosa (there is no "demo-staff" here). The page checks open
    # the newest one the whole team sees, so Ines as well as Cora.
    incidents_demo.seed(users["rosa"])
    incident = Incident.objects.filter(visibility=Visibility.TEAM).latest(
        "occurred_on", "created_at"
    )
    secrets_by_username["_incident"] = {"code": str(incident.pk)}
    secrets_by_username["_risk"] = seed_risks(users, heron=heron, incident=incident)
    secrets_by_username["_check_in"] = {"code": seed_check_in(users)}
    return secrets_by_username


def seed_check_in(users: dict) -> str:
    """Rosa out at the station tonight, Cora watching: the check-in page the page checks open.
    Due in twelve hours, so it stays running (no worker runs here) and nobody's home page shows
    an alarm."""
    from datetime import timedelta

    from django.utils import timezone

    from checkins.services import check_in_start
    from safespaces.places.models import Place, PlaceKind

    check_in = check_in_start(
        person=users["rosa"],
        activity="Thursday outreach at the station, with leaflets.",
        place=Place.objects.get(kind=PlaceKind.OUTREACH_SITE),
        company="Ines",
        due_at=timezone.now() + timedelta(hours=12),
        every_minutes=120,
        grace_minutes=15,
        watchers=[users["cora"]],
        situation=None,
    )
    return str(check_in.pk)


def seed_risks(users: dict, *, heron: object, incident: object) -> dict[str, str]:
    """Three situations, written by the app's services as Rosa would through the forms: one
    assessed and decided, one whose assessment is still open at its steps, and a standing
    organizational risk never assessed, which coordinators see as due on their home page."""
    from datetime import timedelta

    from django.utils import timezone

    from riskassessment import services
    from riskassessment.forms import PRESETS
    from riskassessment.models import Assessment, Measure, RiskSituation
    from safespaces.places.models import Place, PlaceKind
    from tests.factories import (
        AlternativeFactory,
        CapacityFactory,
        RiskThreatFactory,
        VulnerabilityFactory,
    )

    rosa, ines = users["rosa"], users["ines"]
    today = timezone.localdate()

    def assessed(situation: RiskSituation, *, decided: bool) -> tuple[Assessment, object]:
        assessment = services.assessment_start(
            situation=situation, trigger="before", linked=[incident], by=rosa
        )
        threat = RiskThreatFactory(
            assessment=assessment, **RISK_THREAT, residual_likelihood=2, residual_impact=4
        )
        vulnerability = VulnerabilityFactory(assessment=assessment)
        CapacityFactory(assessment=assessment, answers=vulnerability)
        ratings = {"threat": 4, "vulnerability": 4, "capacity": 2}
        ratings |= {"residual_threat": 3, "residual_vulnerability": 2, "residual_capacity": 4}
        for name, value in ratings.items():
            setattr(assessment, name, value)
        services.assessment_rate(
            assessment=assessment,
            seen_version=assessment.version,
            linked=[incident],
            changed=list(ratings),
            by=rosa,
        )
        if decided:
            AlternativeFactory(assessment=assessment)
            assessment.decision = Assessment.Decision.GO_WITH_MEASURES
            assessment.rationale = "The women need us there; the measures keep it moderate."
            assessment.valid_until = today + timedelta(days=90)
            services.assessment_decide(
                assessment=assessment,
                seen_version=assessment.version,
                changed=["decision", "rationale", "valid_until"],
                by=rosa,
            )
        return assessment, threat

    outreach = services.situation_create(
        situation=RiskSituation(
            kind=RiskSituation.Kind.OUTREACH,
            title=RISK_SITUATION,
            objective="Reach women recruited at the station and offer them a way out.",
            # The demo's one outreach site (names are encrypted: found by kind).
            place=Place.objects.get(kind=PlaceKind.OUTREACH_SITE),
            starts_on=today,
            check_in_with=rosa,
            check_in_when="On arrival, every two hours, and once home.",
            check_in_missed="After 30 minutes Rosa calls; after an hour she calls the shelter.",
        ),
        participants=[ines, rosa],
        people=[heron],
        incidents=[incident],
        by=rosa,
    )
    decided, threat = assessed(outreach, decided=True)
    # Ines's own measure, past its date: her home page lists it under "Overdue measures".
    measure = services.measure_add(
        measure=Measure(
            situation=outreach,
            kind=Measure.Kind.REDUCE_THREAT,
            description="Ask the station police liaison to patrol on Thursdays.",
            owner=ines,
            due_on=today - timedelta(days=3),
            threat=threat,
        ),
        by=rosa,
    )
    services.measure_add(
        measure=Measure(
            situation=outreach,
            kind=Measure.Kind.BUILD_CAPACITY,
            description="Check in by secure messenger every two hours.",
            owner=rosa,
            due_on=today + timedelta(days=7),
        ),
        by=rosa,
    )
    court = services.situation_create(
        situation=RiskSituation(
            kind=RiskSituation.Kind.COURT,
            title="Court accompaniment for Heron",
            objective="Heron gives evidence safely and gets home safely.",
        ),
        participants=[users["kim"]],
        people=[heron],
        incidents=[],
        by=rosa,
    )
    open_assessment, _ = assessed(court, decided=False)
    title, objective = PRESETS["burnout"]
    services.situation_create(
        situation=RiskSituation(
            kind=RiskSituation.Kind.ORGANIZATIONAL, title=str(title), objective=str(objective)
        ),
        participants=[],
        people=[],
        incidents=[],
        by=rosa,
    )
    return {
        "situation": str(outreach.pk),
        "assessment": str(decided.pk),
        "open_assessment": str(open_assessment.pk),
        "measure": str(measure.pk),
    }


def main() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    # Migrating here, not in a process of its own, saves starting Django a second time. The
    # system checks run here too, so the server that follows skips them.
    call_command("migrate", interactive=False, verbosity=0, skip_checks=False)
    json.dump(seed(), sys.stdout)


if __name__ == "__main__":
    main()
