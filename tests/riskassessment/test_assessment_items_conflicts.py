"""Two coordinators edit the threat list of the same assessment at once: row by row, nothing
either of them saved is lost."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from riskassessment.models import Alternative, Assessment, Threat
from safespaces.accounts.models import User
from tests.browsing import form_as_sent
from tests.conftest import sign_in
from tests.factories import AlternativeFactory, RiskThreatFactory, UserFactory

CONFLICT = b"Someone else changed this assessment while you were editing."
CHOOSE = b"Choose which to keep: what they saved or what you typed."


def url(assessment: Assessment) -> str:
    return f"/risks/assessments/{assessment.pk}/threats/"


def opened(client: Client, assessment: Assessment) -> dict[str, list[str]]:
    response = client.get(url(assessment))
    assert response.status_code == 200
    return form_as_sent(response.content)


def typed(form: dict[str, list[str]], **values: str) -> dict[str, list[str]]:
    """The form with some fields typed over; `threats_0_likelihood` names `threats-0-likelihood`."""
    return {**form, **{name.replace("_", "-", 2): [value] for name, value in values.items()}}


def two_editors(coordinator: User) -> tuple[Client, Client, Assessment, Threat]:
    threat = RiskThreatFactory(description="Followed home.", likelihood=3)
    other = UserFactory(username="noor", display_name="Noor", role=coordinator.role)
    return sign_in(Client(), coordinator), sign_in(Client(), other), threat.assessment, threat


def descriptions() -> list[str]:
    return [threat.description for threat in Threat.objects.order_by("position", "id")]


def test_changes_to_different_fields_of_a_row_merge_by_themselves(coordinator: User) -> None:
    a, b, assessment, threat = two_editors(coordinator)
    form_a, form_b = opened(a, assessment), opened(b, assessment)
    a.post(url(assessment), typed(form_a, threats_0_likelihood="5"))

    conflict = b.post(url(assessment), typed(form_b, threats_0_description="Followed to the bus."))

    assert conflict.status_code == 200
    assert CONFLICT in conflict.content
    shown = form_as_sent(conflict.content)
    assert shown["threats-0-likelihood"] == ["5"]
    assert shown["threats-0-description"] == ["Followed to the bus."]
    assert shown["conflicts"] == [""]
    saved = b.post(url(assessment), shown)
    assert saved.status_code == 302
    threat.refresh_from_db()
    assert (threat.description, threat.likelihood) == ("Followed to the bus.", 5)


def test_a_field_of_a_row_both_changed_waits_for_a_choice(coordinator: User) -> None:
    a, b, assessment, threat = two_editors(coordinator)
    form_a, form_b = opened(a, assessment), opened(b, assessment)
    a.post(url(assessment), typed(form_a, threats_0_description="Followed by two men."))
    conflict = b.post(url(assessment), typed(form_b, threats_0_description="Followed to the bus."))
    assert b"Followed by two men." in conflict.content
    assert b"Followed to the bus." in conflict.content

    unchosen = b.post(url(assessment), form_as_sent(conflict.content))

    assert unchosen.status_code == 200
    assert CHOOSE in unchosen.content
    assert descriptions() == ["Followed by two men."]
    chosen = b.post(
        url(assessment),
        {**form_as_sent(unchosen.content), "keep_threats-0-description": ["theirs"]},
    )
    assert chosen.status_code == 302
    assert descriptions() == ["Followed by two men."]
    assert Assessment.objects.get(pk=assessment.pk).version == 3


def test_the_stale_list_sent_again_is_refused_again(coordinator: User) -> None:
    a, b, assessment, threat = two_editors(coordinator)
    form_a, form_b = opened(a, assessment), opened(b, assessment)
    a.post(url(assessment), typed(form_a, threats_0_description="Followed by two men."))
    stale = typed(form_b, threats_0_likelihood="1")
    b.post(url(assessment), stale)

    again = b.post(url(assessment), stale)

    assert again.status_code == 200
    assert CONFLICT in again.content
    threat.refresh_from_db()
    assert (threat.description, threat.likelihood) == ("Followed by two men.", 3)


def test_rows_added_and_removed_by_one_side_follow_that_side(coordinator: User) -> None:
    a, b, assessment, threat = two_editors(coordinator)
    second = RiskThreatFactory(assessment=assessment, description="Calls at night.", position=1)
    form_a, form_b = opened(a, assessment), opened(b, assessment)
    # A removes the first threat and adds one; B changes the second.
    a.post(
        url(assessment),
        typed(
            form_a,
            threats_0_DELETE="on",
            threats_2_description="Photographed.",
            threats_2_likelihood="2",
            threats_2_impact="2",
        ),
    )

    conflict = b.post(url(assessment), typed(form_b, threats_1_likelihood="5"))

    assert b"They added this item." in conflict.content
    saved = b.post(url(assessment), form_as_sent(conflict.content))
    assert saved.status_code == 302
    assert descriptions() == ["Calls at night.", "Photographed."]
    second.refresh_from_db()
    assert second.likelihood == 5


def test_a_row_removed_by_one_and_changed_by_the_other_is_kept(coordinator: User) -> None:
    a, b, assessment, threat = two_editors(coordinator)
    form_a, form_b = opened(a, assessment), opened(b, assessment)
    a.post(url(assessment), typed(form_a, threats_0_DELETE="on"))

    conflict = b.post(url(assessment), typed(form_b, threats_0_description="Followed to the bus."))

    assert b"your version is kept as a new item" in conflict.content
    saved = b.post(url(assessment), form_as_sent(conflict.content))
    assert saved.status_code == 302
    assert descriptions() == ["Followed to the bus."]


def test_a_decision_refused_after_a_list_was_saved_keeps_the_alternatives_typed(
    coordinator: User,
) -> None:
    a, b, assessment, threat = two_editors(coordinator)
    AlternativeFactory(assessment=assessment)
    decision_url = f"/risks/assessments/{assessment.pk}/decision/"
    page_b = form_as_sent(b.get(decision_url).content)
    a.post(url(assessment), typed(opened(a, assessment), threats_0_likelihood="5"))
    decided = {
        **page_b,
        "decision": ["go"],
        "rationale": ["Worth it with two of us."],
        "valid_until": [(timezone.localdate() + timedelta(days=30)).isoformat()],
        "alternatives-0-description": ["Meet at the clinic."],
    }

    conflict = b.post(decision_url, decided)

    assert conflict.status_code == 200
    assert CONFLICT in conflict.content
    shown = form_as_sent(conflict.content)
    assert shown["alternatives-0-description"] == ["Meet at the clinic."]
    assert shown["rationale"] == ["Worth it with two of us."]
    assert b.post(decision_url, shown).status_code == 302
    assert [alt.description for alt in Alternative.objects.all()] == ["Meet at the clinic."]
    threat.refresh_from_db()
    assert threat.likelihood == 5
