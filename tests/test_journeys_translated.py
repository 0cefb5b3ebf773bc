"""A new user, in each shipped language, logs an incident, assesses the risk of an activity and
makes its safety plan, with mistakes on the way, and meets no English sentence.

Each form is sent empty, then with values a form refuses (a date that is no date, a number out
of range), then right. Every page on the way, the error messages included, is read as in
tests/test_every_page_translated.py, and compared with the English of every sentence of our
catalogue and of Django's (its core and contrib.auth) that the language translates differently;
a sentence with placeholders is matched whatever fills them. Data is typed in no language: words
the catalogues hold are never typed.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from riskassessment.models import Assessment, RiskSituation
from safespaces.accounts.models import User
from tests.conftest import sign_in
from tests.test_django_strings import LANGUAGES
from tests.test_every_page_translated import EnglishSentences


class Journey:
    """One person's client in one language; every page it is shown is checked."""

    def __init__(self, user: User | None, code: str, english: EnglishSentences) -> None:
        self.client = sign_in(Client(), user) if user else Client()
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
        self.english = english
        self.leftovers: list[str] = []
        self.errors_seen = 0

    def read(self, where: str, response: Any) -> None:
        page = response.content.decode()
        self.leftovers += [f"{where}: {text!r}" for text in self.english.on(page)]

    def get(self, url: str) -> None:
        response = self.client.get(url)
        assert response.status_code == 200, url
        self.read(f"GET {url}", response)

    def refused(self, url: str, data: dict[str, object], *expected: str) -> None:
        """Send what the form refuses: the page comes back with an error on each named field."""
        response = self.client.post(url, data)
        assert response.status_code == 200, url
        forms = list(self._forms(response.context))
        form = next((f for f in forms if set(f.errors) >= set(expected)), None)
        assert form is not None, (url, [f.errors for f in forms])
        self.errors_seen += sum(len(messages) for messages in form.errors.values())
        self.read(f"POST {url} {sorted(data)}", response)

    @staticmethod
    def _forms(contexts: object) -> Iterator[Any]:
        """The forms a page was rendered with, a formset's included."""
        for context in contexts if isinstance(contexts, list) else [contexts]:
            for value in context.flatten().values():
                if isinstance(getattr(value, "errors", None), dict):
                    yield value
                yield from getattr(value, "forms", [])

    def accepted(self, url: str, data: dict[str, object]) -> str:
        """Send it right: it goes through, and the page it leads to is checked too."""
        response = self.client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[:3000])
        self.get(response["Location"])
        return str(response["Location"])


def sign_in_wrongly(journey: Journey, username: str) -> None:
    url = reverse("accounts:login")
    journey.get(url)
    journey.refused(url, {}, "username", "password")
    journey.refused(url, {"username": username, "password": "not the password"}, "__all__")


def log_an_incident(journey: Journey) -> None:
    url = reverse("incidents:create")
    journey.get(url)
    journey.refused(url, {}, "summary", "occurred_on", "kind")
    wrong = {
        "kind": "threat",
        "occurred_on": "31/02/2026",
        "occurred_time": "25:70",
        "summary": "Grey car near the gate",
        "severity": "9",
        "visibility": "team",
    }
    journey.refused(url, wrong, "occurred_on", "occurred_time", "severity")
    journey.accepted(
        url, {**wrong, "occurred_on": "2026-01-05", "occurred_time": "21:15", "severity": "3"}
    )


def assess_a_risk(journey: Journey) -> RiskSituation:
    url = reverse("riskassessment:create")
    journey.get(url)
    journey.refused(url, {}, "kind", "title")
    situation = {
        "kind": "outreach",
        "title": "Kiosk rounds, north side",
        "objective": "Meet people at the kiosks.",
        "starts_on": "the first of March",
        "check_in_grace_minutes": "100000",
        "review_every_months": "six",
    }
    journey.refused(url, situation, "starts_on", "check_in_grace_minutes", "review_every_months")
    situation |= {"starts_on": "2030-03-01", "check_in_grace_minutes": "15"}
    journey.accepted(url, situation | {"review_every_months": "3"})
    created = RiskSituation.objects.order_by("-created_at").first()
    assert created is not None

    start = reverse("riskassessment:assessment_start", args=[created.pk])
    journey.get(start)
    journey.refused(start, {"trigger": "tomorrow"}, "trigger")
    journey.accepted(start, {"trigger": "before"})
    assessment = Assessment.objects.get(situation=created)

    threats = reverse("riskassessment:threats", args=[assessment.pk])
    rows = {"version": assessment.version, "threats-TOTAL_FORMS": 1, "threats-INITIAL_FORMS": 0}
    journey.refused(
        threats,
        rows | {"threats-0-description": "Kiosk owner", "threats-0-likelihood": 9},
        "likelihood",
        "impact",
    )
    journey.accepted(
        threats,
        rows
        | {
            "threats-0-description": "Kiosk owner",
            "threats-0-likelihood": 4,
            "threats-0-impact": 3,
        },
    )
    assessment.refresh_from_db()

    ratings = reverse("riskassessment:ratings", args=[assessment.pk])
    journey.refused(ratings, {"version": assessment.version, "threat": "x"}, "threat")
    journey.accepted(
        ratings,
        {
            "version": assessment.version,
            "threat": 4,
            "vulnerability": 3,
            "capacity": 2,
            "residual_threat": 3,
            "residual_vulnerability": 2,
            "residual_capacity": 3,
        },
    )
    assessment.refresh_from_db()

    decide = reverse("riskassessment:decide", args=[assessment.pk])
    choice = {
        "version": assessment.version,
        "alternatives-TOTAL_FORMS": 0,
        "alternatives-INITIAL_FORMS": 0,
    }
    journey.refused(decide, choice, "decision")
    wrong = choice | {
        "decision": "go_with_measures",
        "rationale": "Kiosk rounds stay useful",
        "valid_until": "next spring",
    }
    journey.refused(decide, wrong, "valid_until")
    journey.accepted(decide, wrong | {"valid_until": "2099-01-01"})
    return created


def make_the_safety_plan(journey: Journey, situation: RiskSituation) -> None:
    url = reverse("riskassessment:measure_create", args=[situation.pk])
    journey.get(url)
    journey.refused(url, {}, "kind", "description")
    measure = {
        "kind": "reduce_vulnerability",
        "description": "Rounds in pairs",
        "due_on": "soon",
        "status": "planned",
        "owner": "nobody",
    }
    journey.refused(url, measure, "due_on", "owner")
    journey.accepted(url, measure | {"due_on": "2030-06-01", "owner": ""})
    journey.get(reverse("riskassessment:plan", args=[situation.pk]))


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_three_journeys_with_mistakes_show_no_english(
    code: str, staff: User, coordinator: User
) -> None:
    english = EnglishSentences(code)
    newcomer = Journey(None, code, english)
    reporter = Journey(staff, code, english)
    assessor = Journey(coordinator, code, english)

    sign_in_wrongly(newcomer, staff.username)
    log_an_incident(reporter)
    situation = assess_a_risk(assessor)
    make_the_safety_plan(assessor, situation)

    assert newcomer.errors_seen >= 3 and reporter.errors_seen >= 5 and assessor.errors_seen >= 12
    leftovers = newcomer.leftovers + reporter.leftovers + assessor.leftovers
    assert not leftovers, "\n".join(leftovers)


def test_the_english_is_found_whatever_fills_its_placeholders() -> None:
    english = EnglishSentences("tl")
    left_in_english = "<li>Ensure this value is less than or equal to 600.</li>"
    left_in_english += "<li>This field is required.</li><p>Log an incident</p>"
    in_filipino = "<li>Dapat 600 o mas mababa ito.</li><li>Kailangan ito.</li>"

    assert english.on(left_in_english) == [
        "Ensure this value is less than or equal to 600.",
        "Log an incident",
        "This field is required.",
    ]
    assert english.on(in_filipino) == []
