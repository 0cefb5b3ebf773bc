"""Writes about risk situations, assessments and measures. Each records an audit event with field
names, never a value."""

import uuid
from collections.abc import Iterable

from django.db import models, transaction
from django.db.models import F, Max
from django.forms import BaseInlineFormSet, BaseModelFormSet
from django.utils import timezone

from incidents.models import Incident
from riskassessment.alerts import approval_alerts_send, approval_alerts_settle
from riskassessment.models import (
    Assessment,
    Capacity,
    Measure,
    RiskSituation,
    Threat,
    Vulnerability,
)
from riskassessment.scoring import index_level, overall_level
from riskassessment.selectors import may_approve
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.crypto.fields import encrypted_fields
from safespaces.editing import save_if_unchanged
from safespaces.people.models import Person


class ApprovalRefused(Exception):
    """The four-eyes rule: this person may not approve this decision."""


def _created(instance: models.Model, by: User, fields: Iterable[str] = ()) -> None:
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=instance, fields=fields)


def _changed(instance: models.Model, by: User, fields: Iterable[str]) -> None:
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=instance, fields=fields)


def _filled(instance: models.Model, **lists: Iterable[object]) -> list[str]:
    """The names of the fields a new record was given, and of the lists that are not empty: what
    its creation's audit event names."""
    automatic = {"version", "created_by"}
    filled = [
        field.name
        for field in instance._meta.concrete_fields
        if field.editable
        and field.name not in automatic
        and getattr(instance, field.attname) not in (None, "")
    ]
    return filled + [name for name, values in lists.items() if list(values)]


# --- Situations --------------------------------------------------------------------------------


@transaction.atomic
def situation_create(
    *,
    situation: RiskSituation,
    participants: Iterable[User],
    people: Iterable[Person],
    incidents: Iterable[Incident],
    by: User,
) -> RiskSituation:
    situation.created_by = by
    situation.save(force_insert=True)
    situation.participants.set(participants)
    situation.people.set(people)
    situation.incidents.set(incidents)
    filled = _filled(situation, participants=participants, people=people, incidents=incidents)
    _created(situation, by, filled)
    return situation


@transaction.atomic
def situation_update(
    *,
    situation: RiskSituation,
    seen_version: int,
    participants: Iterable[User],
    people: Iterable[Person],
    incidents: Iterable[Incident],
    changed: list[str],
    by: User,
) -> RiskSituation:
    """Save an edit, or raise EditConflict if someone saved the situation meanwhile."""
    save_if_unchanged(situation, seen_version=seen_version)
    situation.participants.set(participants)
    situation.people.set(people)
    situation.incidents.set(incidents)
    _changed(situation, by, changed)
    return situation


# --- Assessments -------------------------------------------------------------------------------


def levels_refresh(assessment: Assessment) -> None:
    """Work out the inherent and residual levels from the ratings and the threats (see
    riskassessment.scoring). Kept on the row so the register filters by them in the database."""
    threats = list(assessment.threats.all())
    inherent, residual = assessment.inherent, assessment.residual
    assessment.inherent_level = overall_level(
        index_level(inherent.index) if inherent else None, [t.level for t in threats]
    )
    assessment.residual_level = overall_level(
        index_level(residual.index) if residual else None, [t.residual_level for t in threats]
    )


def _open_encrypted(instance: models.Model) -> None:
    """Decrypt every encrypted value now: they are bound to the primary key about to change."""
    for field in encrypted_fields(type(instance)):
        getattr(instance, field.attname)


def _copy_items(source: Assessment, into: Assessment) -> None:
    """Start a new version from the last one: the same threats, vulnerabilities and capacities,
    to re-rate rather than retype. Open measures move their links to the copies."""
    copies: dict[uuid.UUID, uuid.UUID] = {}
    for model in (Threat, Vulnerability, Capacity):
        for item in model.objects.filter(assessment=source).order_by("position", "id"):
            old_pk = item.pk
            _open_encrypted(item)
            linked = list(item.linked_incidents.all()) if isinstance(item, Threat) else []
            # A new primary key before the insert: encrypted values are bound to it.
            item.pk = uuid.uuid4()
            item._state.adding = True
            item.assessment = into
            if isinstance(item, Capacity) and item.answers_id is not None:
                item.answers_id = copies.get(item.answers_id)
            item.save(force_insert=True)
            copies[old_pk] = item.pk
            if isinstance(item, Threat) and linked:
                item.linked_incidents.set(linked)

    def moved(pk: uuid.UUID | None) -> uuid.UUID | None:
        # A link to an item of an older version (a measure reopened since) has no copy: kept.
        return None if pk is None else copies.get(pk, pk)

    measures = Measure.objects.filter(situation=into.situation, status__in=Measure.OPEN)
    for measure in measures.only("id", "threat_id", "vulnerability_id"):
        threat, vulnerability = moved(measure.threat_id), moved(measure.vulnerability_id)
        if (threat, vulnerability) != (measure.threat_id, measure.vulnerability_id):
            # The version goes up, so an edit form opened before explains the change.
            Measure.objects.filter(pk=measure.pk).update(
                threat=threat, vulnerability=vulnerability, version=F("version") + 1
            )


RATING_FIELDS = (
    "threat",
    "vulnerability",
    "capacity",
    "residual_threat",
    "residual_vulnerability",
    "residual_capacity",
)


@transaction.atomic
def assessment_start(
    *, situation: RiskSituation, trigger: str, linked: Iterable[Incident], by: User
) -> Assessment:
    """A new version of the situation's assessment, numbered after the last one and started
    from it. The situation row is locked so two coordinators never make the same number."""
    RiskSituation.objects.select_for_update().only("id").get(pk=situation.pk)
    previous = situation.assessments.order_by("-number").first()
    number = (situation.assessments.aggregate(last=Max("number"))["last"] or 0) + 1
    assessment = Assessment(situation=situation, number=number, trigger=trigger, created_by=by)
    if previous is not None:
        assessment.lens_notes = previous.lens_notes
        for name in RATING_FIELDS:
            setattr(assessment, name, getattr(previous, name))
    assessment.save(force_insert=True)
    assessment.linked_incidents.set(linked)
    if previous is not None:
        _copy_items(previous, assessment)
    levels_refresh(assessment)
    assessment.save(update_fields=["inherent_level", "residual_level"])
    _created(assessment, by, ["trigger"])
    return assessment


@transaction.atomic
def assessment_items_save(
    *, assessment: Assessment, formset: BaseModelFormSet, seen_version: int, by: User
) -> Assessment:
    """Save one list of an assessment (threats, vulnerabilities or capacities) from its formset,
    or raise EditConflict if someone saved the assessment meanwhile."""
    save_if_unchanged(assessment, seen_version=seen_version)
    formset.save()
    deleted = {item.pk for item in formset.deleted_objects}
    kept = [
        form.instance
        for form in formset.forms
        if not form.instance._state.adding and form.instance.pk not in deleted
    ]
    # The order of the page: positions are plain numbers, so update() may write them.
    for position, item in enumerate(kept):
        type(item).objects.filter(pk=item.pk).update(position=position)
    levels_refresh(assessment)
    assessment.save(update_fields=["inherent_level", "residual_level"])
    # The list's name ("threats"): Django always gives a formset a prefix, the stubs allow None.
    _changed(assessment, by, [formset.prefix or formset.get_default_prefix()])
    return assessment


@transaction.atomic
def assessment_rate(
    *,
    assessment: Assessment,
    seen_version: int,
    linked: Iterable[Incident],
    changed: list[str],
    by: User,
) -> Assessment:
    """Save the ratings, the lens notes and the linked incidents, with the levels they make."""
    levels_refresh(assessment)
    save_if_unchanged(assessment, seen_version=seen_version)
    assessment.linked_incidents.set(linked)
    _changed(assessment, by, changed)
    return assessment


@transaction.atomic
def assessment_decide(
    *, assessment: Assessment, seen_version: int, changed: list[str], by: User
) -> Assessment:
    """Record the decision and who took it. A decision made again needs approval again."""
    assessment.decided_by = by
    assessment.decided_at = timezone.now()
    assessment.approved_by = None
    assessment.approved_at = None
    save_if_unchanged(assessment, seen_version=seen_version)
    _changed(assessment, by, [*changed, "decided_by"])
    approval_alerts_send(assessment)
    return assessment


@transaction.atomic
def assessment_approve(*, assessment: Assessment, by: User) -> Assessment:
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not may_approve(locked, by):
        raise ApprovalRefused
    locked.approved_by = by
    locked.approved_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["approved_by", "approved_at", "version"])
    _changed(locked, by, ["approved_by"])
    approval_alerts_settle(locked)
    return locked


def alternatives_save(*, formset: BaseInlineFormSet, by: User) -> None:
    formset.save()
    if formset.has_changed():
        _changed(formset.instance, by, ["alternatives"])


# --- Measures ----------------------------------------------------------------------------------


@transaction.atomic
def measure_add(*, measure: Measure, by: User) -> Measure:
    measure.created_by = by
    measure.save(force_insert=True)
    _created(measure, by, _filled(measure))
    return measure


@transaction.atomic
def measure_update(*, measure: Measure, seen_version: int, changed: list[str], by: User) -> Measure:
    save_if_unchanged(measure, seen_version=seen_version)
    _changed(measure, by, changed)
    return measure


@transaction.atomic
def measure_set_status(*, measure: Measure, status: str, by: User) -> Measure:
    """The owner or a coordinator moves a measure on; the version goes up so an open edit form
    notices."""
    locked = Measure.objects.select_for_update().get(pk=measure.pk)
    if locked.status != status:
        locked.status = status
        locked.version += 1
        locked.save(update_fields=["status", "version"])
        _changed(locked, by, ["status"])
    return locked
