from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and report the first row that does not fit."

    def handle(self, *args: Any, **options: Any) -> None:
        with Progress(disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("Checking the audit chain", total=AuditEvent.objects.count())
            result = audit_chain_verify(progress=lambda n: bar.advance(task, n))
        if result.first_broken_seq is not None:
            raise CommandError(
                f"The audit chain is broken at row {result.first_broken_seq}: {result.reason}. "
                f"Rows checked: {result.rows_checked}."
            )
        self.stdout.write(f"The audit chain is intact. Rows checked: {result.rows_checked}.")
