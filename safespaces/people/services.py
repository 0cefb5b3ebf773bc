"""Writes about people and identity access. Each records an audit event, never a value."""

import uuid
from datetime import datetime, timedelta

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.editing import edit_bases_forget, save_if_unchanged
from safespaces.people.alerts import erasure_alerts_send, grant_ending_schedule
from safespaces.people.erasure import erasure_steps
from safespaces.people.models import (
    IDENTITY_FIELDS,
    ErasureRequest,
    IdentityGrant,
    Person,
    RevealTicket,
)

MAX_GRANT_DAYS = 90
# Time enough for the browser to follow the reveal's redirect on a slow phone connection; a ticket
# is used once in any case (see RevealTicket).
REVEAL_TICKET_LIFETIME = timedelta(seconds=60)


class GrantTooLong(ValueError):
    """A grant may last at most MAX_GRANT_DAYS."""


class SameAdministrator(Exception):
    """The administrator who asked for an erasure cannot also approve it."""


ERASED_ALIAS = "Erased person"


def person_create(*, person: Person, by: User) -> Person:
    if person.consent_to_store:
        person.consent_recorded_by = by
    person.save(force_insert=True)
    filled = [name for name in IDENTITY_FIELDS if getattr(person, name)]
    audit_record(
        action=AuditEvent.Action.CREATE,
        actor=by,
        target=person,
        fields=["alias", "relation", *filled],
    )
    return person


@transaction.atomic
def person_update(*, person: Person, seen_version: int, changed: list[str], by: User) -> Person:
    """Save the edited person unless someone saved it since the form was opened."""
    if "consent_to_store" in changed and person.consent_to_store:
        person.consent_recorded_by = by
    save_if_unchanged(person, seen_version=seen_version)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=person, fields=changed)
    return person


def person_archive(*, person: Person, by: User) -> None:
    person.archived_at = timezone.now()
    person.version += 1
    person.save(update_fields=["archived_at", "version", "updated_at"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=person, fields=["archived_at"])


def person_reveal(*, person: Person, by: User) -> dict[str, str]:
    """The person's identity fields, decrypted, with the reveal recorded. Check may_reveal first."""
    audit_record(action=AuditEvent.Action.REVEAL_IDENTITY, actor=by, target=person)
    return {name: getattr(person, name) for name in IDENTITY_FIELDS}


def reveal_ticket_create(*, person: Person, by: User) -> RevealTicket:
    """A ticket for one showing of the person's identity to `by`. Check may_reveal first.

    Tickets nobody used (a redirect never followed) expire; each new one clears those away.
    """
    now = timezone.now()
    RevealTicket.objects.filter(expires_at__lte=now).delete()
    return RevealTicket.objects.create(
        user=by, person=person, expires_at=now + REVEAL_TICKET_LIFETIME
    )


def reveal_ticket_use(*, code: uuid.UUID, person: Person, by: User) -> dict[str, str] | None:
    """The identity, with the reveal recorded, if `by` holds an unexpired ticket `code` for this
    person; the ticket is used up. None otherwise: used already, expired or someone else's.

    One DELETE both checks and uses the ticket, so two loads of the same address (a double
    reload) cannot both show the identity. Check may_reveal first: a grant may have ended since
    the ticket was made.
    """
    used, _ = RevealTicket.objects.filter(
        pk=code, person=person, user=by, expires_at__gt=timezone.now()
    ).delete()
    return person_reveal(person=person, by=by) if used else None


def grant_create(
    *, user: User, person: Person | None, reason: str, expires_at: datetime, by: User
) -> IdentityGrant:
    now = timezone.now()
    if expires_at > now + timedelta(days=MAX_GRANT_DAYS):
        raise GrantTooLong
    grant = IdentityGrant.objects.create(
        user=user,
        person=person,
        reason=reason,
        granted_by=by,
        granted_at=now,
        expires_at=expires_at,
    )
    audit_record(action=AuditEvent.Action.GRANT, actor=by, target=grant)
    grant_ending_schedule(grant)
    return grant


def grant_revoke(*, grant: IdentityGrant, by: User) -> None:
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(action=AuditEvent.Action.REVOKE, actor=by, target=grant)


def erasure_request(*, person: Person, reason: str, by: User) -> ErasureRequest:
    request = ErasureRequest.objects.create(person=person, reason=reason, requested_by=by)
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=request)
    erasure_alerts_send(by=by)
    return request


def erasure_cancel(*, request: ErasureRequest, by: User) -> None:
    request.cancelled_at = timezone.now()
    request.save(update_fields=["cancelled_at"])
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=request, fields=["cancelled_at"])


@transaction.atomic
def erasure_approve(*, request: ErasureRequest, by: User) -> None:
    """Erase the person, keeping a tombstone so history that points at them stays readable.

    Every encrypted field is emptied, the alias becomes "Erased person", the link to an account
    and identity grants for them go, and the Django admin's history forgets the alias. The apps
    built on this one remove what they hold about the person through their registered erasure
    steps (the allies app: sharing consents). The audit trail keeps its rows: they hold no
    values. Backups keep the old data until they expire.
    """
    if request.requested_by_id == by.pk:
        raise SameAdministrator
    person = Person.objects.select_for_update().get(pk=request.person_id)
    for name in IDENTITY_FIELDS:
        setattr(person, name, "")
    person.alias = f"{ERASED_ALIAS} {str(person.pk)[:8]}"
    person.user = None
    person.consent_to_store = False
    person.erased_at = timezone.now()
    person.version += 1
    person.save()
    person.grants.all().delete()
    # The values kept for merging concurrent edits hold the erased identity too.
    edit_bases_forget(person)
    for step in erasure_steps():
        step(person=person)
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=str(person.pk)
    ).update(object_repr=ERASED_ALIAS)
    request.approved_by = by
    request.approved_at = timezone.now()
    request.save(update_fields=["approved_by", "approved_at"])
    audit_record(action=AuditEvent.Action.ERASURE, actor=by, target=person)


def people_export_record(*, people: list[Person], with_identity: set[object], by: User) -> None:
    for person in people:
        fields = IDENTITY_FIELDS if person.pk in with_identity else []
        audit_record(action=AuditEvent.Action.EXPORT, actor=by, target=person, fields=fields)
