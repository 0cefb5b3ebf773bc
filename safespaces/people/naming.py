"""The records that name a person, wherever they are kept, for the person's access report.

A survivor may ask who saw their data, and that is more than their own record: the incidents they
are among the people affected by, the risk situations they take part in, the contacts with allies
that name them. Those live in apps built on the platform, which the platform never imports (the
arrows only point this way): each app registers from its `ready()` a finder that lists its
records naming a person, as it registers erasure steps (`safespaces.people.erasure`).
"""

from dataclasses import dataclass
from typing import Protocol

from django.db import models
from django.utils.translation import gettext as _

from safespaces.people.models import Person


@dataclass(frozen=True)
class NamingRecord:
    """A record that names a person: as the audit trail names it, and as their report shows it.

    The label is made of values kept in clear (an incident's reference, a kind, a date), never of
    decrypted ones: the report is printed and handed over, and reading it must not be a disclosure
    of its own.
    """

    object_type: str  # the model's label, as `audit_record` names its target
    object_id: str
    label: str

    @property
    def name(self) -> tuple[str, str]:
        return self.object_type, self.object_id


def naming_record(model: type[models.Model], pk: object, label: str) -> NamingRecord:
    """The record of `model` with primary key `pk`, named as the audit trail names its rows."""
    return NamingRecord(model._meta.label_lower, str(pk), label)


class RecordsNaming(Protocol):
    """An app's records that name the person, in the order its rows should list them. A few
    queries at most, whatever the number of records: it runs on every look at the report."""

    def __call__(self, *, person: Person) -> list[NamingRecord]: ...


_finders: list[RecordsNaming] = []


def register(finder: RecordsNaming) -> None:
    """Add an app's records to every access report; called from the app's `ready()`."""
    if finder not in _finders:
        _finders.append(finder)


def records_naming(person: Person) -> list[NamingRecord]:
    """The person's own record first, then every app's records that name them now."""
    own = naming_record(Person, person.pk, _("Person record"))
    return [own, *(record for finder in _finders for record in finder(person=person))]
