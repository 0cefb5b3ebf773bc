from typing import Any

from django.db.models import QuerySet

from safespaces.audit.models import AuditEvent


def audit_events_filtered(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-seq")
    if filters.get("actor"):
        events = events.filter(actor=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"].strip().lower())
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"].strip())
    if filters.get("date_from"):
        events = events.filter(at__date__gte=filters["date_from"])
    if filters.get("date_to"):
        events = events.filter(at__date__lte=filters["date_to"])
    return events
