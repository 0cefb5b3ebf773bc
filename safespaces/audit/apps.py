from datetime import timedelta

from django.apps import AppConfig

# How long an event may wait, at most, to be sealed when no later writer seals it.
SEAL_EVERY = timedelta(seconds=10)


class AuditConfig(AppConfig):
    name = "safespaces.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db import close_old_connections

        from safespaces.audit.services import audit_seal_sent_response
        from safespaces.audit.tasks import audit_seal_pending
        from safespaces.worker.recurring import Every, recurring_register

        recurring_register(audit_seal_pending, schedule=Every(SEAL_EVERY))
        # A signal, not a service call: request_finished is the one hook WSGI gives after the
        # response has been sent. Before Django closes the request's database connection (when
        # it is past its age), so that sealing uses it rather than opening one that outlives
        # the request.
        request_finished.disconnect(close_old_connections)
        request_finished.connect(audit_seal_sent_response, dispatch_uid="audit_seal_sent_response")
        request_finished.connect(close_old_connections)
