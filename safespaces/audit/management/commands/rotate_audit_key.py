from typing import Any

from django.core.management.base import BaseCommand, CommandError

from safespaces.audit.chain import current_audit_key, fingerprint
from safespaces.audit.services import AuditKeyMismatch, audit_key_rotate


class Command(BaseCommand):
    help = (
        "Continue the audit trail under a new AUDIT_KEY: set the new key as AUDIT_KEY and add the "
        "old one to AUDIT_KEY_PREVIOUS first. Appends one checkpoint row, signed with the old key, "
        "that names the new one; running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        new = fingerprint(current_audit_key())
        try:
            checkpoint = audit_key_rotate()
        except AuditKeyMismatch as error:
            raise CommandError(
                f"Cannot rotate: {error}. Put the key the trail was written with in "
                "AUDIT_KEY_PREVIOUS (restore it from your key backup)."
            ) from error
        if checkpoint is None:
            self.stdout.write(f"The audit trail already continues under AUDIT_KEY ({new}).")
            return
        self.stdout.write(
            f"Checkpoint written at row {checkpoint.seq}: the audit trail continues under "
            f"AUDIT_KEY ({new}). Keep the old key in AUDIT_KEY_PREVIOUS, and in the key backup, "
            "for as long as the trail's older rows must verify."
        )
