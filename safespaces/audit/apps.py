from datetime import timedelta

from django.apps import AppConfig

# How long an event may wait, at most, to be sealed when no later writer seals it.
SEAL_EVERY = timedelta(seconds=10)


class AuditConfig(AppConfig):
    name = "safespaces.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from safespaces.audit.tasks import audit_seal_pending
        from safespaces.worker.recurring import Every, recurring_register

        recurring_register(audit_seal_pending, schedule=Every(SEAL_EVERY))
