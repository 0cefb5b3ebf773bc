"""Counts of the incident book kept between requests, a month at a time.

Counting two years of a large organization's incidents takes a Postgres pass over every one of
them (about 130 ms at 100,000 incidents), and the counts change only where incidents are written.
So each server keeps, in its own memory, the counts of every month of a visibility (incidents
for the team, for coordinators, for named people), under the month's revision: a figure that
grows with every committed change to the incidents of that month (incidents.models.MonthChange)
and never repeats. A page reads the revisions of its months in one statement and counts again
only the months whose revision moved, usually the current one.

Why a count kept under a revision is never older than the revision says: the revisions are read
before the counts. A change committed before the revisions were read is in both; one committed
between the two reads is in the counts but not the revision, which then only makes the kept
counts newer than their revision, and the next page, reading the new revision, counts again.

What is kept: counts by category, place, source, severity and time to review, under keys made of
the query's SQL and parameters (place and source ids, the filters' values, dates), never a name
or any text anyone wrote. Each server process keeps its own, bounded (KEPT entries, the least
recently used go first), gone when the process stops. Revisions are counts, so they would repeat
if the month tables were emptied or made again (a migration taken back, a restore): servers are
stopped for those (docs/operations.md).
"""

import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable, Sequence
from datetime import date
from typing import Generic, TypeVar

from django.db import transaction
from django.db.models import Count, F

from incidents.models import MonthChange, MonthRevision

# Entries kept per server process: two years of three visibilities fit, with room for other
# periods and filters. Each is a month's counts: at most a few thousand small figures (about
# 100 KB with a thousand sources).
KEPT = 128
# Changes folded per transaction by month_changes_fold.
FOLD_BATCH = 5000

Value = TypeVar("Value")
Revision = int | tuple[int, ...]


def month_revisions(months: Sequence[date], *, using: str) -> dict[date, int]:
    """The revision of each month, in one statement, so in one snapshot: what is folded plus
    the changes not folded yet (month_changes_fold moves them from one to the other in one
    transaction, and a statement sees either side of it, never both or neither)."""
    folded = (
        MonthRevision.objects.using(using).filter(month__in=months).values_list("month", "folded")
    )
    pending = (
        MonthChange.objects.using(using)
        .filter(month__in=months)
        .values("month")
        .annotate(count=Count("id"))
        .values_list("month", "count")
    )
    revisions = dict.fromkeys(months, 0)
    for month, count in folded.union(pending, all=True):
        revisions[month] += count
    return revisions


class Kept(Generic[Value]):
    """Values by key, each with the revision it was computed at (a month's, or those of the
    months of a period); a value is found only at the same revision. Safe to share between a
    server's threads."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, tuple[Revision, Value]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, revision: Revision) -> Value | None:
        with self._lock:
            found = self._values.get(key)
            if found is None or found[0] != revision:
                return None
            self._values.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, revision: Revision, value: Value) -> None:
        with self._lock:
            self._values[key] = (revision, value)
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def month_changes_fold() -> int:
    """Fold the changes written so far into each month's revision, so that reading a revision
    stays a look-up of a few rows. Returns how many changes were folded.

    Exactly the rows read are deleted and added, in one transaction: a revision never goes
    back. If another fold took some of them first, this one deletes fewer than it read and
    gives up (rolled back); the next run folds what is left.
    """
    folded = 0
    while True:
        with transaction.atomic():
            changes = list(MonthChange.objects.values_list("id", "month")[:FOLD_BATCH])
            if not changes:
                return folded
            deleted, _by_model = MonthChange.objects.filter(
                id__in=[pk for pk, _month in changes]
            ).delete()
            if deleted != len(changes):
                raise RuntimeError("another fold took some of these changes; nothing was folded")
            for month, count in Counter(month for _pk, month in changes).items():
                added = MonthRevision.objects.filter(month=month).update(folded=F("folded") + count)
                if not added:
                    MonthRevision.objects.create(month=month, folded=count)
        folded += len(changes)
