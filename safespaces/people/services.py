"""Writes about people and identity access. Each records an audit event, never a value."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.people.models import IDENTITY_FIELDS, IdentityGrant, Person

MAX_GRANT_DAYS = 90


class PersonConflict(Exception):
    """Someone else saved the person after the form was opened."""


class GrantTooLong(ValueError):
    """A grant may last at most MAX_GRANT_DAYS."""


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
    current = Person.objects.select_for_update().only("version").get(pk=person.pk)
    if current.version != seen_version:
        raise PersonConflict
    if "consent_to_store" in changed and person.consent_to_store:
        person.consent_recorded_by = by
    person.version = current.version + 1
    person.save()
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
    return grant


def grant_revoke(*, grant: IdentityGrant, by: User) -> None:
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(action=AuditEvent.Action.REVOKE, actor=by, target=grant)
