from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from safespaces.audit.models import AuditEvent


def audit_events_filtered(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor").order_by("-id")
    if filters.get("actor"):
        events = events.filter(actor=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    object_type = (filters.get("object_type") or "").strip().lower()
    object_id = (filters.get("object_id") or "").strip().lower()
    if object_id:
        # The record as an event's object, or among the other records a page showed. The
        # second is a scan of the trail: fine for the administrators' occasional look.
        named = Q(object_id=object_id) & (Q(object_type=object_type) if object_type else Q())
        events = events.filter(named | Q(shown__icontains=f"{object_type}:{object_id}"))
    elif object_type:
        events = events.filter(object_type=object_type)
    # Ranges on `at` itself, so the index serves them; the end date counts in full.
    if filters.get("date_from"):
        events = events.filter(at__gte=_start_of(filters["date_from"]))
    if filters.get("date_to"):
        events = events.filter(at__lt=_start_of(filters["date_to"] + timedelta(days=1)))
    return events


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
