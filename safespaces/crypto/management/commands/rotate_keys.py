from typing import Any

from django.core.management.base import BaseCommand
from rich.progress import Progress

from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.crypto.cipher import key_ring
from safespaces.crypto.services import count_encrypted_rows, keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored value under the primary (first) key of FIELD_ENCRYPTION_KEYS. "
        "Safe to interrupt and run again: it continues where it stopped."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        primary = key_ring().primary_id
        total = count_encrypted_rows()
        with Progress(disable=not self.stdout.isatty()) as bar:
            task = bar.add_task(f"Re-encrypting under key '{primary}'", total=total)
            result = keys_rotate(progress=lambda n: bar.advance(task, n))
        audit_record(
            action=AuditEvent.Action.KEY_ROTATION, object_type="crypto.key", object_id=primary
        )
        self.stdout.write(
            f"Rows checked: {result.rows_checked}. Rows re-encrypted: {result.rows_rewritten}. "
            f"Values re-encrypted: {result.values_rewritten}. Primary key: '{primary}'."
        )
        if result.values_rewritten == 0:
            self.stdout.write("Every value was already under the primary key.")
        self.stdout.write(
            "Keep the old keys in FIELD_ENCRYPTION_KEYS until verify_encryption passes and the "
            "backups sealed under them have expired."
        )
