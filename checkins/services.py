"""Writes of field check-ins. Each takes the check-in's row lock first, so a tap on "I'm safe" and
the deadline's task never both win: whichever comes second sees what the first did."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from checkins.alerts import closed_tell, help_tell
from checkins.deadlines import escalation_schedule, lapse_schedule
from checkins.models import CheckIn, CheckInEntry
from riskassessment.models import RiskSituation
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.places.models import Place


class NotNow(Exception):
    """What was asked no longer fits where the check-in stands (it was closed meanwhile)."""


def _locked(check_in: CheckIn, *allowed: CheckIn.Status) -> CheckIn:
    fresh = CheckIn.objects.select_for_update().get(pk=check_in.pk)
    if fresh.status not in allowed:
        raise NotNow
    return fresh


def _entry(check_in: CheckIn, kind: CheckInEntry.Kind, *, by: User, note: str = "") -> None:
    CheckInEntry.objects.create(check_in=check_in, kind=kind, by=by, note=note)


def _changed(check_in: CheckIn, *, by: User, fields: list[str]) -> None:
    check_in.version += 1
    check_in.save(update_fields=[*fields, "version"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=check_in, fields=fields)


@sensitive_variables("activity", "company")
@transaction.atomic
def check_in_start(
    *,
    person: User,
    activity: str,
    place: Place | None,
    company: str,
    due_at: datetime,
    every_minutes: int | None,
    grace_minutes: int,
    watchers: Iterable[User],
    situation: RiskSituation | None,
) -> CheckIn:
    check_in = CheckIn.objects.create(
        person=person,
        situation=situation,
        activity=activity,
        place=place,
        company=company,
        due_at=due_at,
        every_minutes=every_minutes,
        grace_minutes=grace_minutes,
    )
    check_in.watchers.set([user for user in watchers if user.pk != person.pk])
    _entry(check_in, CheckInEntry.Kind.STARTED, by=person)
    audit_record(action=AuditEvent.Action.CREATE, actor=person, target=check_in)
    lapse_schedule(check_in)
    return check_in


@transaction.atomic
def check_in_safe(*, check_in: CheckIn, by: User) -> CheckIn:
    """ "I'm safe". A check-in every N minutes runs on to the next time; a single one ends. After
    an alarm it closes the alarm: they were reached, safe, and everyone alerted is told."""
    check_in = _locked(check_in, CheckIn.Status.ACTIVE, CheckIn.Status.ALARM)
    _entry(check_in, CheckInEntry.Kind.SAFE, by=by)
    if check_in.status == CheckIn.Status.ALARM:
        return _close(check_in, by=by, outcome=CheckIn.Outcome.SAFE)
    if check_in.every_minutes is None:
        return _close(check_in, by=by, outcome=CheckIn.Outcome.ENDED)
    check_in.due_at = timezone.now() + timedelta(minutes=check_in.every_minutes)
    _changed(check_in, by=by, fields=["due_at"])
    lapse_schedule(check_in)
    return check_in


@transaction.atomic
def check_in_extend(*, check_in: CheckIn, by: User, minutes: int) -> CheckIn:
    """ "I need more time": the deadline moves on from now, or from itself if it is later."""
    check_in = _locked(check_in, CheckIn.Status.ACTIVE)
    check_in.due_at = max(check_in.due_at, timezone.now()) + timedelta(minutes=minutes)
    _entry(check_in, CheckInEntry.Kind.EXTENDED, by=by)
    _changed(check_in, by=by, fields=["due_at"])
    lapse_schedule(check_in)
    return check_in


@transaction.atomic
def check_in_end(*, check_in: CheckIn, by: User) -> CheckIn:
    """The activity is over and they are safe: no more check-ins."""
    check_in = _locked(check_in, CheckIn.Status.ACTIVE)
    _entry(check_in, CheckInEntry.Kind.SAFE, by=by)
    return _close(check_in, by=by, outcome=CheckIn.Outcome.ENDED)


@transaction.atomic
def check_in_help(*, check_in: CheckIn, by: User) -> CheckIn:
    """ "Help now": the watchers and every coordinator at once, with no grace period. Pressed
    again during an alarm it is recorded and tells them again."""
    check_in = _locked(check_in, CheckIn.Status.ACTIVE, CheckIn.Status.ALARM)
    _entry(check_in, CheckInEntry.Kind.HELP, by=by)
    fields = ["status", "alarm"]
    if check_in.status == CheckIn.Status.ACTIVE:
        check_in.alarm_at = timezone.now()
        fields.append("alarm_at")
    check_in.status, check_in.alarm = CheckIn.Status.ALARM, CheckIn.Alarm.HELP
    _changed(check_in, by=by, fields=fields)
    help_tell(check_in)
    if "alarm_at" in fields:
        escalation_schedule(check_in)
    return check_in


@transaction.atomic
def check_in_acknowledge(*, check_in: CheckIn, by: User) -> CheckIn:
    """Someone is on it: the alert does not escalate any more."""
    check_in = _locked(check_in, CheckIn.Status.ALARM)
    if check_in.acknowledged_at is not None:
        return check_in  # two watchers pressed together: the first one counts
    check_in.acknowledged_at, check_in.acknowledged_by = timezone.now(), by
    _entry(check_in, CheckInEntry.Kind.ACKNOWLEDGED, by=by)
    _changed(check_in, by=by, fields=["acknowledged_at", "acknowledged_by"])
    return check_in


@sensitive_variables("note")
@transaction.atomic
def check_in_note(*, check_in: CheckIn, by: User, note: str) -> CheckIn:
    """A call made or a message sent while looking for them, on the check-in's timeline."""
    check_in = _locked(check_in, CheckIn.Status.ALARM)
    _entry(check_in, CheckInEntry.Kind.CALL, by=by, note=note)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=check_in, fields=["entries"])
    return check_in


@sensitive_variables("note")
@transaction.atomic
def check_in_close(
    *, check_in: CheckIn, by: User, outcome: CheckIn.Outcome, note: str = ""
) -> CheckIn:
    """The alarm is over: they were reached and are safe, or they were not reached (the team
    then logs an incident and acts on the safety plan)."""
    check_in = _locked(check_in, CheckIn.Status.ALARM)
    return _close(check_in, by=by, outcome=outcome, note=note)


def _close(check_in: CheckIn, *, by: User, outcome: CheckIn.Outcome, note: str = "") -> CheckIn:
    was_alarm = check_in.status == CheckIn.Status.ALARM
    check_in.status, check_in.outcome = CheckIn.Status.CLOSED, outcome
    check_in.closed_at, check_in.closed_by = timezone.now(), by
    _entry(check_in, CheckInEntry.Kind.CLOSED, by=by, note=note)
    _changed(check_in, by=by, fields=["status", "outcome", "closed_at", "closed_by"])
    if was_alarm:
        closed_tell(check_in, by=by)
    return check_in
