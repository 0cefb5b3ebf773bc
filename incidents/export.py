"""The incident book as CSV: which columns each user gets, the rows in a constant number of
queries, and cells a spreadsheet will not run as formulas."""

import csv
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from allies.selectors import actors_visible_to
from incidents.models import Incident
from incidents.selectors import may_read_free_text_in_exports
from safespaces.accounts.models import User
from safespaces.places.models import Place
from safespaces.spreadsheets import BYTE_ORDER_MARK, safe_cell

# The header row, and the field names the audit event records.
COLUMNS = [
    "reference",
    "kind",
    "category",
    "date",
    "time",
    "approximate",
    "place",
    "severity",
    "status",
    "visibility",
    "source",
    "affected_people",
    "affects_organization",
    "created_at",
    "first_reviewed_at",
]
# What people wrote: it leaves the app only with coordinators and administrators.
FREE_TEXT = [
    "summary",
    "description",
    "location",
    "impact",
    "immediate_response",
    "reported_to",
    "evidence",
    "lessons",
]
# The incident's own columns each row reads; the place, source and people come separately.
READ = [
    "id",
    "reference",
    "kind",
    "category",
    "occurred_on",
    "occurred_time",
    "approximate",
    "place_id",
    "severity",
    "status",
    "visibility",
    "source_id",
    "affects_organization",
    "created_at",
    "first_reviewed_at",
]
# A spreadsheet runs a cell that starts with one of these as a formula.
CHUNK = 500


def export_columns(user: User) -> list[str]:
    return COLUMNS + FREE_TEXT if may_read_free_text_in_exports(user) else list(COLUMNS)


def _moment(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def export_rows(user: User, incidents: QuerySet[Incident]) -> list[list[str]]:
    """The header, then one row per incident, in four queries however many there are.

    Place and source names are decrypted once each, not once per row, and a source only if the
    user may see that actor. Free text is neither read nor decrypted for staff.

    Every row is made, and every value decrypted, before the first byte is sent: a value that
    does not decrypt raises DecryptionError here, while the view can still answer with an error,
    rather than once the response has started, which could only cut the file short. A file that
    ends early looks complete in a spreadsheet; an error line at its end is read as data by
    whatever imports it. The rows are held in memory meanwhile: about the size of the CSV itself
    plus some 60 bytes a cell, tens of megabytes for 20,000 incidents with all their free text.
    """
    return list(_rows(user, incidents))


def _rows(user: User, incidents: QuerySet[Incident]) -> Iterator[list[str]]:
    columns = export_columns(user)
    free_text = columns[len(COLUMNS) :]
    yield columns
    places = Place.objects.filter(pk__in=incidents.values("place_id")).only("id", "name")
    # By primary key; an incident without one (None) gets the default.
    place_names: dict[uuid.UUID | None, str] = {place.pk: place.name for place in places}
    sources = actors_visible_to(user).filter(pk__in=incidents.values("source_id"))
    source_names: dict[uuid.UUID | None, str] = {
        actor.pk: actor.name for actor in sources.only("id", "name")
    }
    affected: dict[uuid.UUID, list[str]] = defaultdict(list)
    links = Incident.affected_people.through.objects.filter(incident__in=incidents.values("pk"))
    for incident_id, alias in links.order_by("person__alias").values_list(
        "incident_id", "person__alias"
    ):
        affected[incident_id].append(alias)
    for incident in incidents.only(*READ, *free_text).iterator(chunk_size=CHUNK):
        row = [
            incident.reference,
            incident.get_kind_display(),
            incident.get_category_display(),
            incident.occurred_on.isoformat(),
            incident.occurred_time.strftime("%H:%M") if incident.occurred_time else "",
            _yes_no(incident.approximate),
            place_names.get(incident.place_id, ""),
            incident.severity,
            incident.get_status_display(),
            incident.get_visibility_display(),
            source_names.get(incident.source_id, ""),
            "; ".join(affected[incident.pk]),
            _yes_no(incident.affects_organization),
            _moment(incident.created_at),
            _moment(incident.first_reviewed_at),
        ]
        yield [safe_cell(cell) for cell in row + [getattr(incident, name) for name in free_text]]


def exported_records(incidents: QuerySet[Incident]) -> list[tuple[str, str]]:
    """How the audit trail names what an export carries: each incident and each person affected
    (by alias), in two queries."""
    links = Incident.affected_people.through.objects.filter(incident__in=incidents.values("pk"))
    people = links.values_list("person_id", flat=True).distinct()
    return [("incidents.incident", str(pk)) for pk in incidents.values_list("pk", flat=True)] + [
        ("people.person", str(pk)) for pk in people
    ]


class Echo:
    """A file-like object that hands back what is written, so csv.writer can feed a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    yield BYTE_ORDER_MARK
    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow(row)
