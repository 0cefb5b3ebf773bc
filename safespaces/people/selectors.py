"""Reads about people, and the one place that decides who may see an identity."""

from datetime import date
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from safespaces.accounts.roles import Role, has_role
from safespaces.audit.models import AuditEvent
from safespaces.audit.selectors import audit_events_filtered
from safespaces.people.models import IdentityGrant, Person


def active_grants() -> QuerySet[IdentityGrant]:
    return IdentityGrant.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


def granted_among(user: Any, people: list[Person]) -> set[object]:
    """Primary keys of those people whose identity the user's active grants cover: a grant for
    that person or one for everyone. One query however many people."""
    if not has_role(user, Role.STAFF):
        return set()
    pks = {person.pk for person in people if person.erased_at is None}
    grants = active_grants().filter(Q(person__in=pks) | Q(person__isnull=True), user=user)
    granted = set(grants.values_list("person_id", flat=True))
    return pks if None in granted else pks & granted


def may_reveal(user: Any, person: Person) -> bool:
    """Administrators, and users with an active grant for this person or for everyone."""
    if person.erased_at is not None:
        return False
    return has_role(user, Role.ADMINISTRATOR) or person.pk in granted_among(user, [person])


def people_visible_to(user: Any) -> QuerySet[Person]:
    """Everyone sees aliases; archived people only coordinators and administrators."""
    people = Person.objects.filter(erased_at__isnull=True)
    if not has_role(user, Role.COORDINATOR):
        people = people.filter(archived_at__isnull=True)
    return people


def get_person_for_user(request: HttpRequest, code: object) -> Person:
    person = people_visible_to(request.user).filter(pk=code).first()
    if person is None:
        raise Http404
    return person


def people_search(
    user: Any, *, alias: str = "", relation: str = "", archived: bool = False
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
    person: Person, *, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[AuditEvent]:
    """Every audit event about this person's record, newest first, for the access report."""
    filters = {"object_type": "people.person", "object_id": str(person.pk)}
    return audit_events_filtered({**filters, "date_from": date_from, "date_to": date_to})
