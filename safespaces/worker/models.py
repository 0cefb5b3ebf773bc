"""What the background worker leaves behind for the web servers to read: that it is alive, and
which run of each recurring task is the one waiting in the queue."""

from django.db import models
from django_tasks_db.models import DBTaskResult


class Heartbeat(models.Model):
    """One row per worker process, written when it starts and every `HEARTBEAT_EVERY` after.

    Worker ids are random per process, so a restarted worker gets a new row; rows unseen for a
    day are removed by the workers themselves.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"worker {self.worker_id}"


class RecurringTask(models.Model):
    """The one queued run of a recurring task (see `safespaces.worker.recurring`).

    The unique name is what several workers lock on, so that each recurring task has exactly one
    run waiting; `pending` points at it in django-tasks-db's queue.
    """

    name = models.CharField(max_length=200, unique=True)
    # SET_NULL: pruning finished results (prune_db_task_results) must not delete the schedule.
    pending = models.ForeignKey(
        DBTaskResult, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
