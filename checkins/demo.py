"""The check-ins' chapter of the demo story (see `safespaces.demo`); any likeness is accidental.

Lin goes out on the station outreach with Kestrel and Rosa watches. Lin's check-in has no grace
period, so two minutes after `make run` seeds it, with the worker running, Rosa's home page turns
red and her inbox counts the alert: the whole path of a missed check-in, on a fresh clone.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from checkins.models import CheckIn
from checkins.services import check_in_start
from riskassessment.models import RiskSituation
from safespaces.accounts.models import User
from safespaces.demo import COORDINATOR, STAFF, Cast, places_by_kind
from safespaces.places.models import PlaceKind


@dataclass(frozen=True)
class CheckInRow:
    person: str
    watchers: list[str]
    activity: str
    company: str
    place: PlaceKind
    due_in: timedelta
    grace_minutes: int


CHECK_INS = [
    CheckInRow(
        STAFF,
        [COORDINATOR],
        "Night outreach at the central station, handing out the helpline cards.",
        "Kestrel (volunteer)",
        PlaceKind.OUTREACH_SITE,
        timedelta(minutes=2),
        0,
    ),
]


def seed(user: User) -> list[str]:
    """Add the demo check-ins once, to an empty table."""
    if CheckIn.objects.exists():
        return []
    cast, places = Cast(user), places_by_kind()
    for row in CHECK_INS:
        place = places.get(row.place)
        check_in_start(
            person=cast[row.person],
            activity=row.activity,
            place=place,
            company=row.company,
            due_at=timezone.now() + row.due_in,
            every_minutes=None,
            grace_minutes=row.grace_minutes,
            watchers=[cast[login] for login in row.watchers],
            situation=RiskSituation.objects.filter(place=place).first() if place else None,
        )
    return ["Demo check-in: Lin's misses its time in 2 minutes; Rosa is alerted (the worker runs)."]
