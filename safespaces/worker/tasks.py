"""The platform's own tasks, run by the worker."""

from django_tasks import TaskContext, task

from safespaces.worker.recurring import recurring_registered, recurring_schedule_next


@task(takes_context=True)
def recurring_run(context: TaskContext, name: str) -> None:
    """Run the recurring task `name` once, then queue its next run, even if this one fails."""
    entry = recurring_registered().get(name)
    try:
        if entry is not None:
            entry.task.call()
    finally:
        recurring_schedule_next(name=name, finished=context.task_result.id)
