from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "safespaces.audit"
    label = "audit"
    verbose_name = "Audit trail"
