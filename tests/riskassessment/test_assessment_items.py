"""The three list pages of an assessment: threats, vulnerabilities and capacities."""

import re
from typing import Any

from django.test import Client

from riskassessment.models import Assessment, Capacity, Threat, Vulnerability
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.crypto.support import raw_value
from tests.factories import (
    AdversaryFactory,
    CapacityFactory,
    IncidentFactory,
    RiskAssessmentFactory,
    RiskThreatFactory,
    VulnerabilityFactory,
)

UNKNOWN = "/risks/assessments/00000000-0000-4000-8000-000000000000/threats/"
CONFLICT = b"Someone else changed this assessment while you were editing."


def url(assessment: Assessment, part: str = "threats") -> str:
    return f"/risks/assessments/{assessment.pk}/{part}/"


def formset_data(
    assessment: Assessment, part: str, rows: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    """The page as a browser sends it: the version it was opened at, the management form and one
    block of fields per row (existing rows first, each with its "id")."""
    existing = sum(1 for row in rows if "id" in row)
    data: dict[str, Any] = {
        "version": assessment.version,
        f"{part}-TOTAL_FORMS": len(rows),
        f"{part}-INITIAL_FORMS": existing,
        f"{part}-MIN_NUM_FORMS": 0,
        f"{part}-MAX_NUM_FORMS": 30,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{part}-{index}-{name}"] = value
    return {**data, **extra}


def threat_row(threat: Threat | None = None, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = (
        {
            "id": threat.pk,
            "description": threat.description,
            "likelihood": threat.likelihood,
            "impact": threat.impact,
            "factors": list(threat.factors),
        }
        if threat
        else {"description": "They photograph us at the station.", "likelihood": 2, "impact": 3}
    )
    return {**row, **changes}


def is_checked(content: bytes, name: str, value: object) -> bool:
    """Whether the tick or radio button `name` with `value` is checked in the page."""
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


# --- Threats -----------------------------------------------------------------------------------


def test_a_coordinator_adds_a_threat_and_goes_on_to_vulnerabilities(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory(threat=None, vulnerability=None, capacity=None)
    adversary = AdversaryFactory()
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment),
        formset_data(
            assessment,
            "threats",
            [
                threat_row(
                    description="The recruiter waits at the bus stop.",
                    source=adversary.pk,
                    likelihood=5,
                    impact=4,
                    residual_likelihood=2,
                    residual_impact=4,
                    linked_incidents=[incident.pk],
                    factors=["gender", "migration"],
                )
            ],
        ),
    )

    assert response["Location"] == url(assessment, "vulnerabilities")
    threat = Threat.objects.get()
    assert (threat.description, threat.source, threat.likelihood, threat.impact) == (
        "The recruiter waits at the bus stop.",
        adversary,
        5,
        4,
    )
    assert (threat.residual_likelihood, threat.residual_impact) == (2, 4)
    assert list(threat.linked_incidents.all()) == [incident]
    saved = Assessment.objects.get(pk=assessment.pk)
    # No T, V and C yet: the levels come from the threat alone, 5 x 4 before, 2 x 4 after.
    assert (saved.version, saved.inherent_level, saved.residual_level) == (2, 4, 2)
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.actor, event.object_id, event.fields) == (
        coordinator,
        str(assessment.pk),
        ["threats"],
    )


def test_each_threat_offers_the_incidents_to_link_and_keeps_its_links(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    linked, other = IncidentFactory(), IncidentFactory()
    threat = RiskThreatFactory(assessment=assessment)
    threat.linked_incidents.set([linked])

    page = sign_in(client, coordinator).get(url(assessment))

    # The links show; other incidents are found by typing, never listed.
    assert is_checked(page.content, "threats-0-linked_incidents", linked.pk)
    assert str(other.pk) not in page.content.decode()
    assert b'name="threats-1-linked_incidents" value=' not in page.content
    client.post(
        url(assessment),
        formset_data(
            assessment,
            "threats",
            [threat_row(threat, impact=5, linked_incidents=[linked.pk, other.pk])],
        ),
    )
    assert set(Threat.objects.get().linked_incidents.all()) == {linked, other}


def test_a_link_to_an_incident_the_coordinator_may_not_see_stays_unseen(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    hidden = IncidentFactory(visibility="named")
    threat = RiskThreatFactory(assessment=assessment)
    threat.linked_incidents.set([hidden])

    page = sign_in(client, coordinator).get(url(assessment))
    saved_response = client.post(
        url(assessment), formset_data(assessment, "threats", [threat_row(threat, impact=1)])
    )

    assert page.status_code == 200
    assert b"men follow outreach workers home." in page.content
    assert hidden.reference.encode() not in page.content
    assert saved_response.status_code == 302
    saved = Threat.objects.get()
    assert (saved.impact, list(saved.linked_incidents.all())) == (1, [hidden])


def test_the_gender_and_intersectional_factors_are_saved_encrypted(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()

    sign_in(client, coordinator).post(
        url(assessment),
        formset_data(assessment, "threats", [threat_row(factors=["sogi", "survivor"])]),
    )

    threat = Threat.objects.get()
    assert threat.factors == ["sogi", "survivor"]
    assert "survivor" not in str(raw_value(Threat, "factors", threat.pk))
    assert "sogi" not in str(raw_value(Threat, "factors", threat.pk))


def test_the_page_lists_what_is_recorded_and_the_look_is_audited(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory(version=4)
    RiskThreatFactory(assessment=assessment)

    response = sign_in(client, coordinator).get(url(assessment))

    assert response.status_code == 200
    assert b"The recruiter&#x27;s men follow outreach workers home." in response.content
    assert b'name="version" value="4"' in response.content
    assert is_checked(response.content, "threats-0-factors", "gender")
    assert b"Save and add another" in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (coordinator, str(assessment.pk))


def test_a_threat_is_changed_and_another_deleted(client: Client, administrator: User) -> None:
    assessment = RiskAssessmentFactory()
    kept = RiskThreatFactory(assessment=assessment, likelihood=1, impact=1)
    dropped = RiskThreatFactory(assessment=assessment, likelihood=5, impact=5)

    sign_in(client, administrator).post(
        url(assessment),
        formset_data(
            assessment,
            "threats",
            [threat_row(kept, impact=2), threat_row(dropped, DELETE="on")],
        ),
    )

    assert list(Threat.objects.values_list("pk", "impact")) == [(kept.pk, 2)]
    saved = Assessment.objects.get(pk=assessment.pk)
    assert saved.inherent_level == 3  # R = 4 x 3 / 2 = 6; the critical threat went with the row


def test_save_and_add_another_stays_on_the_page(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment), formset_data(assessment, "threats", [threat_row()], add_more="1")
    )

    assert response["Location"] == url(assessment)
    assert Threat.objects.count() == 1
    page = client.get(url(assessment))
    assert page.context["formset"].total_form_count() == 2  # the saved one and an empty one


def test_an_empty_extra_row_is_ignored(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment), formset_data(assessment, "threats", [{"description": ""}])
    )

    assert response.status_code == 302
    assert not Threat.objects.exists()


def test_the_rows_keep_the_order_of_the_page(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()
    second = RiskThreatFactory(assessment=assessment, description="Second")
    first = RiskThreatFactory(assessment=assessment, description="First")
    Threat.objects.filter(pk=second.pk).update(position=0)
    Threat.objects.filter(pk=first.pk).update(position=1)

    sign_in(client, coordinator).post(
        url(assessment),
        formset_data(assessment, "threats", [threat_row(second), threat_row(first), threat_row()]),
    )

    assert [threat.description for threat in Threat.objects.all()] == [
        "Second",
        "First",
        "They photograph us at the station.",
    ]


def test_garbage_in_a_rating_is_a_form_error_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment),
        formset_data(
            assessment,
            "threats",
            [
                threat_row(
                    description="A van parks outside the office.",
                    likelihood="seven",
                    impact=9,
                    residual_likelihood="-1",
                    source="not-a-uuid",
                    factors=["gender", "astrology"],
                )
            ],
        ),
    )

    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors
    assert set(errors) == {"likelihood", "impact", "residual_likelihood", "source", "factors"}
    assert b"A van parks outside the office." in response.content
    assert is_checked(response.content, "threats-0-factors", "gender")
    assert not Threat.objects.exists()
    assert Assessment.objects.get(pk=assessment.pk).version == 1


def test_a_missing_management_form_is_explained_not_a_crash(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment), {"version": 1, "threats-0-description": "Anything"}
    )

    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert not Threat.objects.exists()


def test_more_than_thirty_rows_are_refused(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment), formset_data(assessment, "threats", [threat_row()] * 31)
    )

    assert response.status_code == 200
    assert b"Please submit at most 30 forms." in response.content
    assert not Threat.objects.exists()


def test_a_stale_version_is_refused_and_keeps_the_editors_rows(
    client: Client, coordinator: User, administrator: User
) -> None:
    assessment = RiskAssessmentFactory()
    opened = formset_data(assessment, "threats", [threat_row(description="Spotted at night.")])
    other = sign_in(Client(), administrator)
    other.post(url(assessment), formset_data(assessment, "threats", [threat_row()]))

    response = sign_in(client, coordinator).post(url(assessment), opened)

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"Spotted at night." in response.content
    assert b'name="version" value="2"' in response.content
    assert [threat.description for threat in Threat.objects.all()] == [
        "They photograph us at the station."
    ]
    assert Assessment.objects.get(pk=assessment.pk).version == 2


# --- Vulnerabilities and capacities ------------------------------------------------------------


def test_vulnerabilities_lead_on_to_capacities(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment, "vulnerabilities"),
        formset_data(
            assessment,
            "vulnerabilities",
            [
                {
                    "description": "Our phones are old.",
                    "category": "communication",
                    "level": 4,
                    "factors": ["age"],
                }
            ],
        ),
    )

    assert response["Location"] == url(assessment, "capacities")
    vulnerability = Vulnerability.objects.get()
    assert (vulnerability.description, vulnerability.level, vulnerability.factors) == (
        "Our phones are old.",
        4,
        ["age"],
    )
    assert "age" not in str(raw_value(Vulnerability, "factors", vulnerability.pk))


def test_a_capacity_answers_a_vulnerability_and_leads_on_to_the_ratings(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    vulnerability = VulnerabilityFactory(assessment=assessment)

    response = sign_in(client, coordinator).post(
        url(assessment, "capacities"),
        formset_data(
            assessment,
            "capacities",
            [
                {
                    "description": "We walk to the bus in pairs.",
                    "category": "physical",
                    "level": 3,
                    "answers": vulnerability.pk,
                }
            ],
        ),
    )

    assert response["Location"] == f"/risks/assessments/{assessment.pk}/ratings/"
    capacity = Capacity.objects.get()
    assert (capacity.description, capacity.answers, capacity.factors) == (
        "We walk to the bus in pairs.",
        vulnerability,
        [],
    )


def test_a_capacity_may_not_answer_another_assessments_vulnerability(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    elsewhere = VulnerabilityFactory(description="Someone else's secret")

    response = sign_in(client, coordinator).post(
        url(assessment, "capacities"),
        formset_data(
            assessment,
            "capacities",
            [{"description": "A lawyer", "category": "legal", "level": 3, "answers": elsewhere.pk}],
        ),
    )

    assert response.status_code == 200
    assert "answers" in response.context["formset"].forms[0].errors
    assert b"Someone else&#x27;s secret" not in response.content
    assert b"A lawyer" in response.content
    assert not Capacity.objects.exists()


def test_the_capacities_page_offers_this_assessments_vulnerabilities_only(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    VulnerabilityFactory(assessment=assessment, description="We walk alone.")
    VulnerabilityFactory(description="Someone else's secret")
    CapacityFactory(assessment=assessment)

    response = sign_in(client, coordinator).get(url(assessment, "capacities"))

    assert response.status_code == 200
    assert b"We walk alone." in response.content
    assert b"Someone else" not in response.content


# --- Which assessments may be edited -----------------------------------------------------------


def test_a_decided_assessment_is_no_longer_edited(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory(decision="go", rationale="Fine")
    sign_in(client, coordinator)

    for part in ("threats", "vulnerabilities", "capacities"):
        assert client.get(url(assessment, part)).status_code == 404
    response = client.post(url(assessment), formset_data(assessment, "threats", [threat_row()]))
    assert response.status_code == 404
    assert not Threat.objects.exists()


def test_an_older_version_is_no_longer_edited(client: Client, coordinator: User) -> None:
    older = RiskAssessmentFactory(number=1)
    RiskAssessmentFactory(situation=older.situation, number=2)
    sign_in(client, coordinator)

    assert client.get(url(older)).status_code == 404
    assert client.post(url(older), formset_data(older, "threats", [threat_row()])).status_code == (
        404
    )
    assert not Threat.objects.exists()


def test_a_row_of_another_assessment_cannot_be_edited_through_this_one(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()
    elsewhere = RiskThreatFactory(description="Kept as it is")

    sign_in(client, coordinator).post(
        url(assessment),
        formset_data(assessment, "threats", [threat_row(elsewhere, description="Hijacked")]),
    )

    assert Threat.objects.get(pk=elsewhere.pk).description == "Kept as it is"


def test_staff_may_not_use_the_lists(client: Client, staff: User) -> None:
    assessment = RiskAssessmentFactory(situation__participants=[staff])
    sign_in(client, staff)

    assert client.get(url(assessment)).status_code == 403
    response = client.post(url(assessment), formset_data(assessment, "threats", [threat_row()]))
    assert response.status_code == 403
    assert not Threat.objects.exists()


def test_an_unknown_assessment_is_not_found(client: Client, coordinator: User) -> None:
    sign_in(client, coordinator)

    assert client.get(UNKNOWN).status_code == 404
    assert client.get("/risks/assessments/12/threats/").status_code == 404


def test_put_is_refused(client: Client, coordinator: User) -> None:
    assessment = RiskAssessmentFactory()

    assert sign_in(client, coordinator).put(url(assessment, "vulnerabilities")).status_code == 405


def test_half_a_re_rating_of_a_threat_is_refused_and_kept(
    client: Client, coordinator: User
) -> None:
    assessment = RiskAssessmentFactory()

    response = sign_in(client, coordinator).post(
        url(assessment),
        formset_data(assessment, "threats", [threat_row(residual_likelihood=1)]),
    )

    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    assert set(form.errors) == {"residual_impact"}
    assert is_checked(response.content, "threats-0-residual_likelihood", 1)
    assert not Threat.objects.exists()
