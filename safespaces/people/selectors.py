"""Reads about people, and the one place that decides who may see an identity."""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import reduce
from operator import or_
from uuid import UUID

from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from safespaces.audit.disclosure import name_of
from safespaces.audit.models import AuditEvent
from safespaces.audit.selectors import audit_events_filtered
from safespaces.people.models import ErasureRequest, IdentityGrant, Person
from safespaces.people.naming import NamingRecord
from safespaces.pickers import LIMIT, Matches, best_matches, normalized


def active_grants() -> QuerySet[IdentityGrant]:
    return IdentityGrant.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def granted_among(user: User, people: list[Person]) -> set[object]:
    """Primary keys of those people whose identity the user's active grants cover: a grant for
    that person or one for everyone. One query however many people. A bulk export carries the
    identities of these people only, administrators' exports too: exporting identities in bulk
    is a decision of its own, not a side effect of the role."""
    if not has_role(user, Role.STAFF):
        return set()
    pks: set[object] = {person.pk for person in people if person.erased_at is None}
    grants = active_grants().filter(Q(person__in=pks) | Q(person__isnull=True), user=user)
    granted = set(grants.values_list("person_id", flat=True))
    return pks if None in granted else pks & granted


def _may_reveal(user: User, person: Person) -> bool:
    """Administrators, and users with an active grant for this person or for everyone."""
    if person.erased_at is not None:
        return False
    return has_role(user, Role.ADMINISTRATOR) or person.pk in granted_among(user, [person])


def people_visible_to(user: User) -> QuerySet[Person]:
    """Everyone sees aliases; archived people only coordinators and administrators."""
    people = Person.objects.filter(erased_at__isnull=True)
    if not has_role(user, Role.COORDINATOR):
        people = people.filter(archived_at__isnull=True)
    return people


@dataclass(frozen=True)
class PersonAccess:
    """A person the user may see (by their alias), and what they may do with the record."""

    person: Person
    may_reveal: bool  # see their identity, each time recorded: see _may_reveal


def get_person_for_user(request: AuthenticatedHttpRequest, code: UUID) -> PersonAccess:
    """The person and what the user may do with the record, or 404 for anyone who may not see
    them (an archived person, for staff; an erased one, for everyone)."""
    person = people_visible_to(request.user).filter(pk=code).first()
    if person is None:
        raise Http404
    return PersonAccess(person, may_reveal=_may_reveal(request.user, person))


@dataclass(frozen=True)
class ErasureAccess:
    """An erasure request waiting for approval. Only administrators deal with erasure."""

    erasure: ErasureRequest
    may_approve: bool  # another administrator than the one who asked


def get_erasure_for_user(request: AuthenticatedHttpRequest, code: UUID) -> ErasureAccess:
    """A pending erasure request, or 404: for anyone but administrators, none exists."""
    if not has_role(request.user, Role.ADMINISTRATOR):
        raise Http404
    erasure = pending_erasures().filter(pk=code).first()
    if erasure is None:
        raise Http404
    return erasure_access(request.user, erasure)


def pending_erasures() -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.filter(approved_at__isnull=True, cancelled_at__isnull=True)


def erasure_access(user: User, erasure: ErasureRequest) -> ErasureAccess:
    """What an administrator may do with a pending request: approving needs a second one."""
    return ErasureAccess(erasure, may_approve=erasure.requested_by_id != user.pk)


@dataclass(frozen=True)
class GrantAccess:
    """An identity grant still in force. Only administrators manage grants."""

    grant: IdentityGrant


def get_grant_for_user(request: AuthenticatedHttpRequest, code: UUID) -> GrantAccess:
    """An active grant, or 404: for anyone but administrators, none exists."""
    if not has_role(request.user, Role.ADMINISTRATOR):
        raise Http404
    grant = active_grants().filter(pk=code).first()
    if grant is None:
        raise Http404
    return GrantAccess(grant)


def people_search(
    user: User, *, alias: str = "", relation: str = "", archived: bool = False
) -> QuerySet[Person]:
    people = people_visible_to(user).only(
        "id", "alias", "relation", "archived_at", "consent_to_store"
    )
    people = people.filter(archived_at__isnull=not archived)
    if alias:
        people = people.filter(alias__icontains=alias.strip())
    if relation:
        people = people.filter(relation=relation)
    return people


def access_events(
    records: list[NamingRecord], *, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[AuditEvent]:
    """Every audit event on any of these records (a person's, from `records_naming`), newest
    first, for the person's access report: one query, however many records.

    An event names a record as its object, or among the other records a page, list or export
    showed (`shown`). Matching `shown` is a scan of the trail, as in the administrators' log.
    """
    by_type: dict[str, list[str]] = defaultdict(list)
    for record in records:
        by_type[record.object_type].append(record.object_id)
    # Each (object_type, object_id) pair is served by the index on those two columns.
    as_object = reduce(
        or_, (Q(object_type=kind, object_id__in=ids) for kind, ids in by_type.items()), Q()
    )
    events = audit_events_filtered({"date_from": date_from, "date_to": date_to})
    # Most events show no other record: the null check spares them the regular expression.
    as_shown = Q(shown__isnull=False, shown__regex=_shown_pattern(by_type))
    return events.filter(as_object | as_shown)


def _shown_pattern(by_type: dict[str, list[str]]) -> str:
    """One regular expression that finds any of the records in the text of `shown`, a JSON list
    of quoted "type:id" strings, by the whole quoted string.

    One condition, however many records: an OR of one LIKE per record would pass SQLite's limit
    on the depth of an expression (1000) for a person named in many records. The same pattern
    reads the same in Python's `re` (SQLite's REGEXP in Django) and in Postgres, which matches
    the text of the jsonb value.
    """
    alternatives = "|".join(
        f"{re.escape(kind)}:({'|'.join(re.escape(pk) for pk in ids)})"
        for kind, ids in by_type.items()
    )
    return f'"({alternatives})"'


def records_of_event(event: AuditEvent, records: list[NamingRecord]) -> list[str]:
    """The labels of those records that the event names, in the order of `records`: never the
    other records it names, which are not this person's."""
    names = {name_of(text) for text in event.shown or []}
    names.add((event.object_type, event.object_id))
    return [record.label for record in records if record.name in names]


def person_matches(people: QuerySet[Person], query: str) -> Matches:
    """The people among `people` whose alias holds every word typed, at most pickers.LIMIT,
    those whose alias starts with it first. Aliases are not encrypted: the database searches."""
    wanted = normalized(query)
    for word in wanted.split():
        people = people.filter(alias__icontains=word)
    first = Case(When(alias__istartswith=wanted, then=Value(0)), default=Value(1))
    rows = people.order_by(first, Lower("alias")).values_list("pk", "alias")[: LIMIT + 1]
    return best_matches(list(rows), query)
