"""The platform's own tasks, run by the worker."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

from safespaces.worker.recurring import recurring_registered, recurring_schedule_next

# A failure: long enough to look into one reported after a weekend and a holiday.
KEEP_FINISHED_RESULTS = timedelta(days=14)
# A success says only that it ran: the audit sealer's, every 10 seconds, would otherwise keep
# 120,000 rows in the queue's table. A day is enough to see that a task ran last night.
KEEP_SUCCESSFUL_RESULTS = timedelta(days=1)


@task(takes_context=True)
def recurring_run(context: TaskContext, name: str) -> None:
    """Run the recurring task `name` once, then queue its next run, even if this one fails."""
    entry = recurring_registered().get(name)
    try:
        if entry is not None:
            entry.task.call()
    finally:
        recurring_schedule_next(name=name, finished=context.task_result.id)


@task()
def task_results_prune() -> int:
    """Remove successful task results older than KEEP_SUCCESSFUL_RESULTS and any other finished
    ones older than KEEP_FINISHED_RESULTS; return how many.

    Every deadline and every run leaves a row; without this the queue's table only grows.
    """
    now = timezone.now()
    finished = DBTaskResult.objects.finished()
    succeeded, _ = (
        finished.successful().filter(finished_at__lt=now - KEEP_SUCCESSFUL_RESULTS).delete()
    )
    others, _ = finished.filter(finished_at__lt=now - KEEP_FINISHED_RESULTS).delete()
    return succeeded + others
