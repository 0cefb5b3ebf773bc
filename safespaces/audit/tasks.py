"""The audit trail's background work, run by the worker."""

from django_tasks import task

from safespaces.audit.services import AuditKeyMismatch, audit_seal


@task()
def audit_seal_pending() -> int:
    """Seal whatever no writer sealed after its commit; return how many rows.

    Writers seal right after they commit (a request once its response has been sent), but one
    that found another sealer at work leaves its row to the next writer, and a server process
    that stopped first leaves its rows behind: while the app is idle, this run is that next
    writer.
    """
    try:
        return audit_seal()
    except AuditKeyMismatch:
        # Alerted at ERROR already, on every run until the key is fixed; a failed task would
        # say it again with a traceback.
        return 0
