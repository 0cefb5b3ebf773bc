import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import Incident, ThreatAssessment, TimelineEntry
from incidents.selectors import (
    PATTERN_SUGGESTIONS,
    SUMMARY_LINE,
    pattern_suggestions,
    summary_line,
)
from incidents.services import assessment_save
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.editing import EditConflict
from tests.conftest import sign_in
from tests.factories import (
    ActorFactory,
    AdversaryFactory,
    IncidentFactory,
    PersonFactory,
    PlaceFactory,
    ThreatAssessmentFactory,
)

UNKNOWN = "/incidents/00000000-0000-4000-8000-000000000000/assessment/"
CONFLICT = (
    b"Someone else changed this assessment while you were editing. Your changes are below; "
    b"check them and save again."
)


def url(incident: Incident) -> str:
    return f"/incidents/{incident.pk}/assessment/"


def form_data(**changes: object) -> dict[str, object]:
    """A first assessment with the two steps that must be answered."""
    data = {"facts": "A car waited outside the shelter two nights running.", "version": ""}
    return {**data, "conclusion": "likely", **changes}


def edit_data(assessment: ThreatAssessment, **changes: object) -> dict[str, object]:
    """The form as it comes back when saved without changes."""
    data = {
        "facts": assessment.facts,
        "linked_incidents": [
            str(pk) for pk in assessment.linked_incidents.values_list("pk", flat=True)
        ],
        "pattern": assessment.pattern,
        "objective": assessment.objective,
        "actor": str(assessment.actor_id or ""),
        "confidence": assessment.confidence,
        "reasoning": assessment.reasoning,
        "conclusion": assessment.conclusion,
        "rationale": assessment.rationale,
        "version": assessment.version,
    }
    data = {name: value for name, value in data.items() if value not in ("", [])}
    return {**data, **changes}


def is_checked(content: bytes, name: str, value: object) -> bool:
    tag = re.search(rf'<input [^>]*name="{name}" value="{value}"[^>]*>', content.decode())
    assert tag is not None, f"no {name} input with value {value}"
    return " checked" in tag.group(0)


def test_a_coordinator_assesses_a_threat_and_the_timeline_says_so(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    source = AdversaryFactory()

    response = sign_in(client, coordinator).post(
        url(incident),
        form_data(
            objective="To stop her testimony.",
            actor=str(source.pk),
            confidence="medium",
            reasoning="The car belongs to the crew's driver, not to its leader.",
        ),
    )

    assert response["Location"] == f"/incidents/{incident.pk}/"
    assessment = ThreatAssessment.objects.get(incident=incident)
    assert (assessment.conclusion, assessment.actor, assessment.confidence) == (
        "likely",
        source,
        "medium",
    )
    assert assessment.assessed_by == coordinator
    assert assessment.objective == "To stop her testimony."
    entry = TimelineEntry.objects.get(incident=incident, kind=TimelineEntry.Kind.ASSESSMENT)
    assert (entry.new_value, entry.author, entry.body) == ("likely", coordinator, "")
    assert Incident.objects.get(pk=incident.pk).first_reviewed_at is not None
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE)
    assert (event.actor, event.object_id) == (coordinator, str(assessment.pk))
    assert event.fields == ["actor", "conclusion", "confidence", "facts", "objective", "reasoning"]


def test_the_form_takes_the_five_steps_in_order(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    page = sign_in(client, coordinator).get(url(incident)).content.decode()

    legends = [
        "1. The facts",
        "2. Is there a pattern?",
        "3. The objective",
        "4. Who is behind it",
        "5. Can the threat be carried out?",
    ]
    positions = [page.index(f"<legend>{legend}</legend>") for legend in legends]
    assert positions == sorted(positions)
    step_four = page[positions[3] : positions[4]]
    assert "Only now, after the first three steps" in step_four
    assert "which part of an actor" in step_four
    assert "Even a signed threat can be false" in step_four
    assert "Ask why the source threatened instead of acting" in step_four
    assert page.index('name="actor"') > positions[3]


def test_opening_the_form_is_recorded_as_a_view_of_the_assessment(
    client: Client, coordinator: User
) -> None:
    assessment = ThreatAssessmentFactory(objective="To frighten her into silence")

    response = sign_in(client, coordinator).get(url(assessment.incident))

    assert b"To frighten her into silence" in response.content
    assert b'type="hidden" name="version" value="1"' in response.content
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert (event.actor, event.object_id) == (coordinator, str(assessment.pk))


def test_an_update_names_the_changed_fields_only_and_adds_to_the_timeline(
    client: Client, coordinator: User
) -> None:
    assessment = ThreatAssessmentFactory(conclusion="possible")

    response = sign_in(client, coordinator).post(
        url(assessment.incident), edit_data(assessment, conclusion="imminent")
    )

    assert response.status_code == 302
    saved = ThreatAssessment.objects.get(pk=assessment.pk)
    assert (saved.conclusion, saved.version, saved.assessed_by) == ("imminent", 2, coordinator)
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.ASSESSMENT)
    assert entry.new_value == "imminent"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    assert (event.object_id, event.fields) == (str(assessment.pk), ["conclusion"])


def test_a_stale_form_is_refused_and_keeps_what_was_typed(
    client: Client, coordinator: User
) -> None:
    assessment = ThreatAssessmentFactory(conclusion="possible")
    sign_in(client, coordinator)
    stale = edit_data(assessment, conclusion="imminent", rationale="They said tonight.")
    ThreatAssessment.objects.filter(pk=assessment.pk).update(version=2)  # saved meanwhile

    response = client.post(url(assessment.incident), stale)

    assert response.status_code == 200
    assert CONFLICT in response.content
    assert b"They said tonight." in response.content
    assert is_checked(response.content, "conclusion", "imminent")
    assert b'name="version" value="2"' in response.content  # saving again keeps these changes
    assert ThreatAssessment.objects.get(pk=assessment.pk).conclusion == "possible"
    assert not TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ASSESSMENT).exists()
    resubmitted = client.post(url(assessment.incident), {**stale, "version": 2})
    assert resubmitted.status_code == 302
    assert ThreatAssessment.objects.get(pk=assessment.pk).conclusion == "imminent"


def test_a_first_assessment_someone_saved_meanwhile_is_not_overwritten(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory()
    sign_in(client, coordinator)
    client.get(url(incident))  # the form opens empty
    theirs = ThreatAssessmentFactory(incident=incident, conclusion="possible")

    response = client.post(url(incident), form_data(conclusion="unlikely"))

    assert CONFLICT in response.content
    assert ThreatAssessment.objects.get(pk=theirs.pk).conclusion == "possible"
    assert ThreatAssessment.objects.count() == 1


@pytest.mark.django_db
def test_two_first_assessments_at_once_make_the_second_a_conflict(coordinator: User) -> None:
    incident = IncidentFactory()
    ThreatAssessmentFactory(incident=incident)
    late = ThreatAssessment(incident=incident, facts="Seen twice", conclusion="likely")

    with pytest.raises(EditConflict):
        assessment_save(
            assessment=late, seen_version=None, linked=[], changed=["facts"], by=coordinator
        )

    assert ThreatAssessment.objects.count() == 1


def test_bad_input_keeps_what_was_typed(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(incident), form_data(facts="", pattern="Same wording as the letter in May")
    )

    assert response.status_code == 200
    assert b"Write down the facts: the assessment starts from them." in response.content
    assert b"Same wording as the letter in May" in response.content
    assert not ThreatAssessment.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


def test_naming_who_is_behind_it_asks_how_sure_we_are(client: Client, coordinator: User) -> None:
    incident = IncidentFactory()

    response = sign_in(client, coordinator).post(
        url(incident), form_data(actor=str(AdversaryFactory().pk))
    )

    assert b"Say how sure we are that they are behind it." in response.content
    assert not ThreatAssessment.objects.exists()


# --- Step 2: the pattern -----------------------------------------------------------------------


@pytest.mark.django_db
def test_suggestions_are_incidents_sharing_the_place_source_category_or_a_person(
    coordinator: User, staff: User
) -> None:
    shelter, person, crew = PlaceFactory(), PersonFactory(), AdversaryFactory()
    incident = IncidentFactory(place=shelter, source=crew, category="surveillance")
    incident.affected_people.set([person])
    today = timezone.localdate()
    same_place = IncidentFactory(place=shelter, category="other", occurred_on=today)
    same_source = IncidentFactory(
        source=crew, category="other", occurred_on=today - timedelta(days=1)
    )
    same_category = IncidentFactory(category="surveillance", occurred_on=today - timedelta(2))
    same_person = IncidentFactory(category="other", occurred_on=today - timedelta(days=3))
    same_person.affected_people.set([person])
    everything = IncidentFactory(
        place=shelter, source=crew, category="surveillance", occurred_on=today - timedelta(4)
    )
    IncidentFactory(category="other", place=PlaceFactory())  # shares nothing
    IncidentFactory(place=shelter, visibility="named", reporter=staff)  # hidden from Rosa

    suggestions = pattern_suggestions(coordinator, incident)

    assert [(s.incident, s.shared) for s in suggestions] == [
        (same_place, ["same place"]),
        (same_source, ["same source"]),
        (same_category, ["same category"]),
        (same_person, ["same person affected"]),
        (everything, ["same place", "same source", "same category"]),
    ]


@pytest.mark.django_db
def test_other_is_no_category_to_match_on(coordinator: User) -> None:
    incident = IncidentFactory(category="other")
    IncidentFactory(category="other")

    assert pattern_suggestions(coordinator, incident) == []


@pytest.mark.django_db
def test_suggestions_are_the_most_recent_few(coordinator: User, staff: User) -> None:
    today = timezone.localdate()
    incident = IncidentFactory(reporter=staff)
    older = [
        IncidentFactory(reporter=staff, occurred_on=today - timedelta(days=n))
        for n in range(1, PATTERN_SUGGESTIONS + 3)
    ]

    suggestions = pattern_suggestions(coordinator, incident)

    assert [s.incident for s in suggestions] == older[:PATTERN_SUGGESTIONS]


@pytest.mark.django_db
@pytest.mark.parametrize("size", [10, 200])
def test_suggestions_take_one_query_whatever_the_size_of_the_book(
    coordinator: User, staff: User, django_assert_num_queries: object, size: int
) -> None:
    shelter, person = PlaceFactory(), PersonFactory()
    incident = IncidentFactory(place=shelter, source=ActorFactory(), reporter=staff)
    incident.affected_people.set([person])
    for n in range(size):
        IncidentFactory(place=shelter if n % 2 else None, reporter=staff)
    assert coordinator.role  # read once per request, before any incident

    with django_assert_num_queries(1):  # type: ignore[operator]
        suggestions = pattern_suggestions(coordinator, incident)
        [
            (s.incident.reference, s.incident.get_kind_display(), s.summary, s.shared)
            for s in suggestions
        ]


def test_the_form_lists_suggestions_ticked_only_if_already_linked(
    client: Client, coordinator: User
) -> None:
    shelter = PlaceFactory()
    incident = IncidentFactory(place=shelter)
    linked, other = IncidentFactory(place=shelter), IncidentFactory(place=shelter)
    unrelated = IncidentFactory(category="other")
    ThreatAssessmentFactory(incident=incident, linked_incidents=[linked])

    response = sign_in(client, coordinator).get(url(incident))

    assert response.status_code == 200
    page = response.content
    assert is_checked(page, "linked_incidents", linked.pk)
    assert not is_checked(page, "linked_incidents", other.pk)
    assert other.reference.encode() in page and b"same place" in page
    assert unrelated.reference.encode() not in page


def test_an_incident_linked_earlier_stays_listed_when_it_shares_nothing(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(category="other")
    linked = IncidentFactory(category="other")
    ThreatAssessmentFactory(incident=incident, linked_incidents=[linked])

    page = sign_in(client, coordinator).get(url(incident)).content

    assert is_checked(page, "linked_incidents", linked.pk)
    assert b"linked earlier" in page


def test_each_incident_offered_says_what_happened_and_the_look_names_it(
    client: Client, coordinator: User
) -> None:
    shelter = PlaceFactory()
    incident = IncidentFactory(place=shelter, category="other")
    suggested = IncidentFactory(place=shelter, category="other", summary="Car at the gate")
    linked = IncidentFactory(category="other", summary="Messages from an unknown number")
    hidden = IncidentFactory(category="other", visibility="named", summary="Call to her sister")
    unrelated = IncidentFactory(category="other", summary="Stolen bicycle")
    assessment = ThreatAssessmentFactory(incident=incident, linked_incidents=[linked, hidden])

    response = sign_in(client, coordinator).get(url(incident))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Car at the gate" in page and "Messages from an unknown number" in page
    assert "Call to her sister" not in page and "Stolen bicycle" not in page
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.object_id == str(assessment.pk)
    shown = set(event.shown)
    assert {f"incidents.incident:{i.pk}" for i in (suggested, linked)} <= shown
    # Decrypted only for what the page shows: neither the hidden link nor one not offered.
    assert not {f"incidents.incident:{i.pk}" for i in (hidden, unrelated)} & shown


def test_a_long_summary_is_cut_at_a_word_to_fit_a_phone() -> None:
    words = "A grey car waited outside the north shelter for two nights running, its lights off"
    assert summary_line("Car at the gate") == "Car at the gate"
    assert summary_line(words * 2) == (
        "A grey car waited outside the north shelter for two nights running, its lights\u2026"
    )
    assert len(summary_line("x" * 200)) == SUMMARY_LINE


def test_ticked_incidents_are_linked(client: Client, coordinator: User) -> None:
    shelter = PlaceFactory()
    incident = IncidentFactory(place=shelter)
    first, second = IncidentFactory(place=shelter), IncidentFactory(place=shelter)

    sign_in(client, coordinator).post(
        url(incident), form_data(linked_incidents=[str(first.pk), str(second.pk)])
    )

    assessment = ThreatAssessment.objects.get(incident=incident)
    assert set(assessment.linked_incidents.all()) == {first, second}
    assert "linked_incidents" in AuditEvent.objects.get(action=AuditEvent.Action.CREATE).fields


def test_an_incident_the_user_may_not_see_cannot_be_linked(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory()
    hidden = IncidentFactory(visibility="named", reporter=staff)

    response = sign_in(client, coordinator).post(
        url(incident), form_data(linked_incidents=[str(hidden.pk)])
    )

    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not ThreatAssessment.objects.exists()


def test_links_to_incidents_the_user_may_not_see_are_kept(
    client: Client, coordinator: User, staff: User
) -> None:
    incident = IncidentFactory()
    hidden = IncidentFactory(visibility="named", reporter=staff)
    assessment = ThreatAssessmentFactory(incident=incident, linked_incidents=[hidden])

    response = sign_in(client, coordinator).get(url(incident))
    saved = client.post(
        url(incident), edit_data(assessment, linked_incidents=[], pattern="Changed")
    )

    assert response.status_code == 200
    assert b"Update the threat assessment" in response.content
    assert hidden.reference.encode() not in response.content
    assert saved.status_code == 302
    assert list(ThreatAssessment.objects.get(pk=assessment.pk).linked_incidents.all()) == [hidden]


# --- Who may use it ----------------------------------------------------------------------------


def test_an_archived_actor_named_earlier_stays_named(client: Client, coordinator: User) -> None:
    crew = AdversaryFactory(archived=True)
    assessment = ThreatAssessmentFactory(actor=crew, confidence="high")

    response = sign_in(client, coordinator).post(
        url(assessment.incident), edit_data(assessment, pattern="A third time")
    )

    assert response.status_code == 302
    assert ThreatAssessment.objects.get(pk=assessment.pk).actor == crew


def test_the_incident_page_shows_the_assessment_to_coordinators(
    client: Client, coordinator: User, staff: User
) -> None:
    crew = AdversaryFactory(name="Blue Door Crew")
    assessment = ThreatAssessmentFactory(actor=crew, confidence="high", conclusion="likely")
    detail = f"/incidents/{assessment.incident.pk}/"

    page = sign_in(client, coordinator).get(detail).content.decode()
    staff_page = sign_in(Client(), staff).get(detail).content.decode()

    assert "Likely" in page and "Blue Door Crew" in page and "confidence: High" in page
    assert "Update the assessment" in page
    assert "Blue Door Crew" not in staff_page and "Update the assessment" not in staff_page


def test_staff_may_not_assess(client: Client, staff: User) -> None:
    incident = IncidentFactory(reporter=staff)
    sign_in(client, staff)

    assert client.get(url(incident)).status_code == 403
    assert client.post(url(incident), form_data()).status_code == 403
    assert not ThreatAssessment.objects.exists()


def test_an_incident_the_coordinator_may_not_see_is_not_found(
    client: Client, coordinator: User
) -> None:
    incident = IncidentFactory(visibility="named")
    sign_in(client, coordinator)

    assert client.get(url(incident)).status_code == 404
    assert client.post(url(incident), form_data()).status_code == 404
    assert client.get(UNKNOWN).status_code == 404
    assert not ThreatAssessment.objects.exists()


def test_staff_who_may_not_see_the_incident_get_404_rather_than_403(
    client: Client, staff: User
) -> None:
    incident = IncidentFactory(visibility="coordinators")

    assert sign_in(client, staff).get(url(incident)).status_code == 404


@pytest.mark.parametrize("method", ["put", "delete"])
def test_other_methods_are_refused(client: Client, coordinator: User, method: str) -> None:
    incident = IncidentFactory()

    assert getattr(sign_in(client, coordinator), method)(url(incident)).status_code == 405
