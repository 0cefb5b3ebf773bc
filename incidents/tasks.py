"""The incident book's background work, run by the worker."""

from django_tasks import task

from incidents.monthly import month_changes_fold
from incidents.services import attachment_orphans_remove


@task()
def attachment_orphans_sweep() -> dict[str, object]:
    """Remove stored files no attachment refers to (see `attachment_orphans_remove`).

    The result, kept with the task's run, names what went: random file names and sizes, nothing
    about any incident. A refusal (more than half the files without a row) fails the run, which
    the administrators see among the task results.
    """
    sweep = attachment_orphans_remove()
    return {"removed": sorted(sweep.removed), "bytes_freed": sweep.freed, "kept": sweep.kept}


@task()
def month_changes_fold_run() -> dict[str, object]:
    """Fold the incidents' month changes into their months' revisions (see
    `month_changes_fold`). The result is a number of rows, nothing about any incident."""
    return {"folded": month_changes_fold()}
