"""The platform's own tasks, run by the worker."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.models import DBTaskResult

from safespaces.worker.recurring import recurring_registered, recurring_schedule_next

# Long enough to look into a failure reported after a weekend and a holiday.
KEEP_FINISHED_RESULTS = timedelta(days=14)


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
    """Remove finished task results older than KEEP_FINISHED_RESULTS; return how many.

    Every deadline and every run leaves a row; without this the queue's table only grows.
    """
    cutoff = timezone.now() - KEEP_FINISHED_RESULTS
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    return deleted
