"""Writes about places. Each records an audit event with field names, never a value."""

from django.db import transaction

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.editing import save_if_unchanged
from safespaces.places.models import Place


@transaction.atomic
def place_create(*, place: Place, by: User) -> Place:
    place.save(force_insert=True)
    filled = [name for name in ("address", "notes") if getattr(place, name)]
    audit_record(
        action=AuditEvent.Action.CREATE, actor=by, target=place, fields=["kind", "name", *filled]
    )
    return place


@transaction.atomic
def place_update(*, place: Place, seen_version: int, changed: list[str], by: User) -> Place:
    """Save the edited place unless someone saved it since the form was opened."""
    save_if_unchanged(place, seen_version=seen_version)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=place, fields=changed)
    return place


@transaction.atomic
def place_archive(*, place: Place, by: User) -> None:
    """Take the place out of lists and pickers. Records that point at it keep it."""
    current = Place.objects.select_for_update().only("version").get(pk=place.pk)
    place.archived = True
    # A new version, so a form opened before the archive is refused rather than saved over it.
    place.version = current.version + 1
    # Only these columns: a save() would write back every field as loaded.
    place.save(update_fields=["archived", "version", "updated_at"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=place, fields=["archived"])
