"""Writes about actors. Each records an audit event with field names, never a value."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from allies.models import Actor, ActorCapability, Engagement, Relation, SharingConsent
from allies.selectors import may_name_person, may_receive_shared_data
from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.editing import save_if_unchanged
from safespaces.people.models import Person
from safespaces.places.models import Place


class NoSharingConsent(Exception):
    """The person has not consented to sharing their information with this actor."""


def _set_capabilities(actor: Actor, capabilities: list[str]) -> None:
    actor.capabilities.exclude(capability__in=capabilities).delete()
    have = set(actor.capabilities.values_list("capability", flat=True))
    ActorCapability.objects.bulk_create(
        ActorCapability(actor=actor, capability=c) for c in capabilities if c not in have
    )


@transaction.atomic
def actor_create(*, actor: Actor, capabilities: list[str], areas: list[Place], by: User) -> Actor:
    actor.save(force_insert=True)
    _set_capabilities(actor, capabilities)
    actor.areas.set(areas)
    filled = [
        field.name
        for field in Actor._meta.concrete_fields
        if field.editable and field.name != "version" and getattr(actor, field.attname)
    ]
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=actor, fields=filled)
    return actor


@transaction.atomic
def actor_update(
    *,
    actor: Actor,
    seen_version: int,
    capabilities: list[str],
    areas: list[Place],
    changed: list[str],
    by: User,
) -> Actor:
    """Save the edited actor unless someone saved it since the form was opened.

    An actor who turns adversary (or whose stance becomes unknown) may no longer receive anyone's
    information: the consents to share with them are withdrawn, each recorded.
    """
    save_if_unchanged(actor, seen_version=seen_version)
    _set_capabilities(actor, capabilities)
    actor.areas.set(areas)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=actor, fields=changed)
    if not may_receive_shared_data(actor):
        standing = actor.sharing_consents.filter(withdrawn_on__isnull=True)
        for consent in standing.select_related("person"):
            sharing_consent_withdraw(consent=consent, by=by)
    return actor


@transaction.atomic
def actor_archive(*, actor: Actor, by: User) -> None:
    """Take the actor out of lists, the map and the directory. Engagements keep it."""
    current = Actor.objects.select_for_update().only("version").get(pk=actor.pk)
    actor.archived = True
    actor.in_directory = False
    # A new version, so a form opened before the archive is refused rather than saved over it.
    actor.version = current.version + 1
    actor.save(update_fields=["archived", "in_directory", "version", "updated_at"])
    audit_record(
        action=AuditEvent.Action.CHANGE, actor=by, target=actor, fields=["archived", "in_directory"]
    )


def relation_create(*, source: Actor, kind: str, target: Actor, by: User) -> Relation:
    relation = Relation.objects.create(source=source, kind=kind, target=target, recorded_by=by)
    audit_record(action=AuditEvent.Action.CREATE, actor=by, target=relation)
    return relation


def relation_delete(*, relation: Relation, by: User) -> None:
    audit_record(action=AuditEvent.Action.DELETE, actor=by, target=relation)
    relation.delete()


def sharing_consent_record(
    *, person: Person, ally: Actor, given_on: date, by: User
) -> SharingConsent:
    """Record that the person agreed to their information going to one actor."""
    consent = SharingConsent.objects.create(
        person=person, ally=ally, given_on=given_on, recorded_by=by
    )
    audit_record(action=AuditEvent.Action.GRANT, actor=by, target=consent)
    # Also on the person, so the report of who did what with their record shows it.
    audit_record(
        action=AuditEvent.Action.CHANGE, actor=by, target=person, fields=["sharing_consents"]
    )
    return consent


def sharing_consent_withdraw(*, consent: SharingConsent, by: User) -> None:
    consent.withdrawn_on = timezone.localdate()
    consent.save(update_fields=["withdrawn_on"])
    audit_record(action=AuditEvent.Action.REVOKE, actor=by, target=consent)
    audit_record(
        action=AuditEvent.Action.CHANGE,
        actor=by,
        target=consent.person,
        fields=["sharing_consents"],
    )


def sharing_consents_erase(*, person: Person) -> None:
    """A step of the person's erasure (registered in AlliesConfig.ready): their consents go, with
    the erasure's own audit event standing for it."""
    person.sharing_consents.all().delete()


def _check_consent(engagement: Engagement) -> None:
    """The form checks the same; this is for every other caller."""
    person = engagement.person  # no query when there is none
    if person is not None and not may_name_person(engagement.actor, person, on=engagement.date):
        raise NoSharingConsent


def _filled(engagement: Engagement) -> list[str]:
    optional = ("response_hours", "person", "notes")
    return ["date", "kind", "purpose", "outcome"] + [
        name for name in optional if getattr(engagement, name)
    ]


@transaction.atomic
def engagement_record(*, engagement: Engagement, by: User) -> Engagement:
    """Record a contact with an actor. A person is linked only with their consent to sharing."""
    _check_consent(engagement)
    engagement.recorded_by = by
    engagement.save(force_insert=True)
    audit_record(
        action=AuditEvent.Action.CREATE, actor=by, target=engagement, fields=_filled(engagement)
    )
    return engagement


@transaction.atomic
def engagement_update(
    *, engagement: Engagement, seen_version: int, changed: list[str], by: User
) -> Engagement:
    # A consent withdrawn since does not stop updating the outcome of a past contact.
    if {"person", "date"} & set(changed):
        _check_consent(engagement)
    save_if_unchanged(engagement, seen_version=seen_version)
    audit_record(action=AuditEvent.Action.CHANGE, actor=by, target=engagement, fields=changed)
    return engagement
