"""A check-in's deadlines are tasks that wait (`run_after`): the watchers' alert when the time to
check in and its grace period have passed, and the escalation when nobody acknowledged it.

Each task changes the check-in with one conditional UPDATE (still active and still due at the
time the task was queued for; still unacknowledged), so a deadline alerts once however many
workers run and however often a task is retried, and a deadline moved by "I need more time" leaves
its old task with nothing to do. A deadline that passed while no worker ran fires when one starts,
and its timeline says how late.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from checkins.alerts import escalated_tell, missed_tell
from checkins.models import CheckIn, CheckInEntry
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record

# Nobody acknowledged the watchers' alert in this time: everyone who can help is told.
ESCALATE_AFTER = timedelta(minutes=10)
# An alert that goes out later than this after its time says so (the worker was not running).
LATE_AFTER = timedelta(minutes=2)


def lapse_schedule(check_in: CheckIn) -> None:
    """Queue the alert for the check-in's current deadline; call it in the same transaction."""
    check_in_lapse.using(run_after=check_in.alarm_due_at).enqueue(
        str(check_in.pk), check_in.due_at.isoformat()
    )


def escalation_schedule(check_in: CheckIn) -> None:
    assert check_in.alarm_at is not None
    check_in_escalate.using(run_after=check_in.alarm_at + ESCALATE_AFTER).enqueue(str(check_in.pk))


@task()
def check_in_lapse(check_in_id: str, due_at: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        raised = CheckIn.objects.filter(
            pk=check_in_id, status=CheckIn.Status.ACTIVE, due_at=datetime.fromisoformat(due_at)
        ).update(
            status=CheckIn.Status.ALARM,
            alarm=CheckIn.Alarm.MISSED,
            alarm_at=now,
            version=F("version") + 1,
        )
        if not raised:
            return  # checked in, given more time, or alerted already by another worker
        check_in = CheckIn.objects.get(pk=check_in_id)
        late = now - check_in.alarm_due_at
        CheckInEntry.objects.create(
            check_in=check_in,
            kind=CheckInEntry.Kind.MISSED,
            at=now,
            late_minutes=int(late.total_seconds() // 60) if late > LATE_AFTER else None,
        )
        audit_record(action=AuditEvent.Action.CHANGE, target=check_in, fields=["status"])
        missed_tell(check_in)
        escalation_schedule(check_in)


@task()
def check_in_escalate(check_in_id: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        raised = CheckIn.objects.filter(
            pk=check_in_id,
            status=CheckIn.Status.ALARM,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
        ).update(escalated_at=now, version=F("version") + 1)
        if not raised:
            return  # acknowledged, closed, or escalated already
        check_in = CheckIn.objects.get(pk=check_in_id)
        CheckInEntry.objects.create(check_in=check_in, kind=CheckInEntry.Kind.ESCALATED, at=now)
        audit_record(action=AuditEvent.Action.CHANGE, target=check_in, fields=["escalated_at"])
        escalated_tell(check_in)
