"""Reads about places, and the one place that decides who may see where a place is."""

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from safespaces.pickers import Matches, best_matches, cached_names, decrypted_names
from safespaces.places.models import Place, PlaceKind


def may_see_address(user: User, place: Place) -> bool:
    """Whether the user may see the place's address and notes.

    A shelter's address in the wrong hands can get someone killed, and staff do their work with
    the name alone, so only coordinators and administrators see addresses, of every kind of place.
    Notes go with the address: they tend to hold directions and door codes. The place is passed so
    that a finer rule would change here and nowhere else.
    """
    return has_role(user, Role.COORDINATOR)


def may_see_archived(user: User) -> bool:
    return has_role(user, Role.COORDINATOR)


def places_visible_to(user: User) -> QuerySet[Place]:
    """Everyone sees active places; archived ones only coordinators and administrators."""
    places = Place.objects.all()
    if not may_see_archived(user):
        places = places.filter(archived=False)
    return places


@dataclass(frozen=True)
class PlaceAccess:
    """A place the user may see, and what they may see of it."""

    place: Place
    may_see_address: bool  # its address and notes: see may_see_address


def get_place_for_user(request: AuthenticatedHttpRequest, code: UUID) -> PlaceAccess:
    """The place and whether the user may see where it is, or 404 for anyone who may not see
    it (an archived place, for staff)."""
    place = places_visible_to(request.user).filter(pk=code).first()
    if place is None:
        raise Http404
    return place_access(request.user, place)


def place_access(user: User, place: Place) -> PlaceAccess:
    """What the user may see of a place they may see (one of a list, for instance)."""
    return PlaceAccess(place, may_see_address=may_see_address(user, place))


def places_with_access(user: User, places: Iterable[Place]) -> list[PlaceAccess]:
    return [place_access(user, place) for place in places]


def sorted_by_name(places: QuerySet[Place] | list[Place]) -> list[Place]:
    """Places by kind, then name. The name is encrypted, so this sorts in Python: an
    organization has tens of places, not thousands."""
    return sorted(places, key=lambda place: (place.get_kind_display(), place.name.casefold()))


def places_for_picking() -> QuerySet[Place]:
    """Active places, for a `PlaceChoiceField` in any app's form (which labels and sorts them)."""
    return Place.objects.filter(archived=False).only("id", "kind", "name")


def place_label(name: str, kind: str) -> str:
    """A place as pickers show it: its name and its kind. Never its address."""
    return f"{name} ({PlaceKind(kind).label})"


def place_matches(places: QuerySet[Place], query: str) -> Matches:
    """The places among `places` whose name or kind holds every word typed, at most
    pickers.LIMIT. Names come from the per-process cache; only the matches a picker shows
    count as shown (pickers.shown_without)."""
    rows = cached_names(places, name="name", plain="kind")
    return decrypted_names(
        Place, best_matches([(pk, place_label(n, k)) for pk, n, k in rows], query)
    )
