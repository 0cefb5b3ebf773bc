"""Starting a new version of an assessment (riskassessment.services.assessment_start): numbered
after the last, started from its lists and ratings, with open measures following their threats
and vulnerabilities to the copies."""

from riskassessment import services
from riskassessment.models import Assessment, Capacity, Measure, RiskSituation, Threat
from riskassessment.scoring import Level
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from tests.factories import (
    ActorFactory,
    CapacityFactory,
    IncidentFactory,
    MeasureFactory,
    RiskSituationFactory,
    RiskThreatFactory,
    VulnerabilityFactory,
)


def start(situation: RiskSituation, by: User, trigger: str = "periodic") -> Assessment:
    return services.assessment_start(situation=situation, trigger=trigger, linked=[], by=by)


def test_versions_are_numbered_1_2_3_for_each_situation(coordinator: User) -> None:
    situation, other = RiskSituationFactory(), RiskSituationFactory()

    numbers = [start(situation, coordinator).number for _ in range(3)]
    first_of_other = start(other, coordinator)

    assert numbers == [1, 2, 3]
    assert first_of_other.number == 1
    assert list(situation.assessments.values_list("number", flat=True)) == [3, 2, 1]


def test_a_first_version_starts_empty_and_unrated(coordinator: User) -> None:
    incident = IncidentFactory()

    first = services.assessment_start(
        situation=RiskSituationFactory(), trigger="before", linked=[incident], by=coordinator
    )

    assert (first.threat, first.inherent_level, first.residual_level) == (None, None, None)
    assert not first.threats.exists()
    assert list(first.linked_incidents.all()) == [incident]
    assert (first.trigger, first.created_by) == ("before", coordinator)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, object_id=str(first.pk)
    ).exists()


def test_a_new_version_starts_from_the_last_ones_ratings_and_lists(coordinator: User) -> None:
    situation = RiskSituationFactory()
    first = start(situation, coordinator)
    first.threat, first.vulnerability, first.capacity = 4, 3, 2
    first.lens_notes = "Young women are approached first."
    first.save()
    recruiters, incident = ActorFactory(), IncidentFactory()
    followed = RiskThreatFactory(
        assessment=first,
        description="They follow us home.",
        likelihood=4,
        impact=5,
        source=recruiters,
        factors=["gender"],
    )
    followed.linked_incidents.add(incident)
    RiskThreatFactory(assessment=first, description="They photograph us.", position=1)
    alone = VulnerabilityFactory(assessment=first, description="We walk alone.")
    CapacityFactory(assessment=first, description="A check-in routine.", answers=alone)

    second = start(situation, coordinator)

    second = Assessment.objects.get(pk=second.pk)  # every encrypted value read back afresh
    threats = list(second.threats.all())
    assert [t.description for t in threats] == ["They follow us home.", "They photograph us."]
    assert {t.pk for t in threats}.isdisjoint(set(first.threats.values_list("pk", flat=True)))
    assert (threats[0].likelihood, threats[0].impact, threats[0].source) == (4, 5, recruiters)
    assert threats[0].factors == ["gender"]
    assert list(threats[0].linked_incidents.all()) == [incident]
    vulnerability = second.vulnerabilities.get()
    assert vulnerability.description == "We walk alone."
    assert vulnerability.pk != alone.pk
    capacity = Capacity.objects.get(assessment=second)
    assert capacity.description == "A check-in routine."
    assert capacity.answers == vulnerability  # the copy answers the copy
    assert (second.threat, second.vulnerability, second.capacity) == (4, 3, 2)
    assert second.lens_notes == "Young women are approached first."
    # R = 4 x 3 / 2 = 6 is high, the threat 4 x 5 = 20 critical: the worse counts.
    assert (second.inherent_level, second.residual_level) == (Level.CRITICAL, Level.CRITICAL)
    assert (second.decision, second.decided_by) == ("", None)


def test_the_last_version_keeps_its_own_lists_readable(coordinator: User) -> None:
    situation = RiskSituationFactory()
    first = start(situation, coordinator)
    threat = RiskThreatFactory(assessment=first, description="They follow us home.")

    start(situation, coordinator)

    kept = Threat.objects.get(pk=threat.pk)
    assert (kept.assessment_id, kept.description) == (first.pk, "They follow us home.")
    assert first.threats.count() == 1


def test_open_measures_follow_their_threat_and_vulnerability_to_the_copies(
    coordinator: User,
) -> None:
    situation = RiskSituationFactory()
    first = start(situation, coordinator)
    threat = RiskThreatFactory(assessment=first, description="They follow us home.")
    vulnerability = VulnerabilityFactory(assessment=first, description="We walk alone.")
    planned = MeasureFactory(situation=situation, threat=threat, vulnerability=vulnerability)
    underway = MeasureFactory(situation=situation, threat=threat, status="in_progress")
    done = MeasureFactory(situation=situation, threat=threat, status="done")

    second = start(situation, coordinator)

    new_threat = second.threats.get()
    new_vulnerability = second.vulnerabilities.get()
    planned.refresh_from_db()
    assert (planned.threat, planned.vulnerability) == (new_threat, new_vulnerability)
    assert Measure.objects.get(pk=underway.pk).threat == new_threat
    # A finished measure stays the record of what was done against the threat of its time.
    assert Measure.objects.get(pk=done.pk).threat == threat
    assert planned.description == "Ask the station police liaison to patrol on Thursdays."


def test_an_open_measure_linked_to_an_older_version_keeps_its_link(coordinator: User) -> None:
    situation = RiskSituationFactory()
    first = start(situation, coordinator)
    threat = RiskThreatFactory(assessment=first)
    reopened = MeasureFactory(situation=situation, threat=threat, status="done")
    start(situation, coordinator)  # a done measure stays with the first version's threat
    reopened.status = "planned"
    reopened.save()

    start(situation, coordinator)

    reopened.refresh_from_db()
    assert reopened.threat == threat


def test_levels_come_from_the_ratings_and_the_threats(coordinator: User) -> None:
    assessment = start(RiskSituationFactory(), coordinator)
    assessment.threat, assessment.vulnerability, assessment.capacity = 2, 2, 2  # R = 2, moderate
    assessment.residual_threat = 1
    assessment.residual_vulnerability = 1
    assessment.residual_capacity = 5  # R = 0.2, low
    RiskThreatFactory(
        assessment=assessment, likelihood=3, impact=4, residual_likelihood=1, residual_impact=4
    )  # high before the measures, low after

    services.levels_refresh(assessment)

    assert (assessment.inherent_level, assessment.residual_level) == (Level.HIGH, Level.LOW)
