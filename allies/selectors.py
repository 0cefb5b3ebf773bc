"""Reads about actors, and the one place that decides who sees which actors and which parts."""

import statistics
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from allies.models import (
    Actor,
    ActorCapability,
    Capability,
    Engagement,
    Relation,
    SharingConsent,
    Stance,
)
from safespaces.access import AuthenticatedHttpRequest
from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role
from safespaces.people.models import Person
from safespaces.people.naming import NamingRecord, naming_record
from safespaces.people.selectors import people_visible_to
from safespaces.pickers import Match, Matches, best_matches, cached_names, decrypted_names
from safespaces.places.models import Place
from safespaces.places.selectors import places_for_picking
from safespaces.places.selectors import sorted_by_name as sorted_places

# An ally counts as trusted, for the gap finder, from this trust rating up.
TRUSTED_FROM = 3
# "Asked often" counts requests over this window.
ASKED_WINDOW = timedelta(days=90)
# Contact details older than this carry a warning: numbers change, people move on.
VERIFIED_FRESH_FOR = timedelta(days=183)
# Needed on the spot in a crisis, so a gap is checked area by area. Political pressure, media,
# training and the like work from anywhere and are checked across the whole network.
LOCAL_CAPABILITIES = (
    Capability.EMERGENCY_RESPONSE,
    Capability.SHELTER,
    Capability.LEGAL_AID,
    Capability.MEDICAL,
    Capability.PSYCHOSOCIAL,
    Capability.RELOCATION,
)
# The kinds of place that are areas for the gap finder; the others are sites within them.
AREA_KINDS = (Place.Kind.AREA, Place.Kind.OUTREACH_SITE)


def may_see_all_actors(user: User) -> bool:
    """Coordinators and administrators see every actor and every part of it.

    Staff see allies only: an adversary may be a former exploiter, and knowing what the
    organization knows of them is itself a risk.
    """
    return has_role(user, Role.COORDINATOR)


def may_see_relations(user: User) -> bool:
    """How actors stand to each other (who controls whom, which allies are in conflict) is
    analysis for coordinators and administrators, on the map as on an actor's page."""
    return may_see_all_actors(user)


def may_receive_shared_data(actor: Actor) -> bool:
    """Whether a person may consent to their information going to this actor at all.

    Never to an adversary, nor to an actor whose stance nobody knows yet.
    """
    return actor.stance in (Stance.ALLY, Stance.NEUTRAL)


def may_share_with(person: Person, ally: Actor, *, on: date | None = None) -> bool:
    """Whether the person's consent to their information going to this actor stands today, or
    stood on the day `on`: a contact recorded after the fact is judged by the consent of its day.
    """
    consents = SharingConsent.objects.filter(person=person, ally=ally)
    if on is None:
        return consents.filter(withdrawn_on__isnull=True).exists()
    return (
        consents.filter(given_on__lte=on)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on))
        .exists()
    )


def may_name_person(actor: Actor, person: Person, *, on: date) -> bool:
    """Whether a contact with the actor on that day may name the person: the actor may receive
    shared information, and the person's consent to share with it stood that day."""
    return may_receive_shared_data(actor) and may_share_with(person, actor, on=on)


def _may_see_contacts(user: User, actor: Actor) -> bool:
    """Everyone may call an ally listed in the emergency directory; other contacts stay with
    coordinators and administrators."""
    return may_see_all_actors(user) or (actor.is_ally and actor.in_directory)


# What staff see of the actors: current allies. One rule, asked of the database by
# actors_visible_to and of an actor already read by actor_visible, so it holds plain field
# equalities only: a lookup such as `stance__in` would not read as an attribute.
_SEEN_BY_STAFF = {"stance": Stance.ALLY, "archived": False}


def actors_visible_to(user: User) -> QuerySet[Actor]:
    actors = Actor.objects.all()
    if not may_see_all_actors(user):
        actors = actors.filter(**_SEEN_BY_STAFF)
    return actors


def actor_visible(user: User, actor: Actor | None) -> bool:
    """Whether the user may see an actor already read with what names it (a threat's source, a
    measure's ally): actors_visible_to's rule, without asking the database again."""
    if actor is None:
        return False
    return may_see_all_actors(user) or all(
        getattr(actor, name) == value for name, value in _SEEN_BY_STAFF.items()
    )


@dataclass(frozen=True)
class ActorAccess:
    """An actor the user may see, and what they may see of it and do with it."""

    actor: Actor
    # Its stance, notes, relations, contacts on record and who consented to sharing with it;
    # and changing any of it: coordinators and administrators.
    may_see_all: bool
    may_see_contacts: bool  # its contact channels: see _may_see_contacts
    # New relations and contacts may be recorded with it: by those who may change it, while it
    # is not archived.
    may_link: bool


def get_actor_for_user(request: AuthenticatedHttpRequest, code: UUID) -> ActorAccess:
    """The actor and what the user may do with it, or 404 for anyone who may not see it (for
    staff, anyone but a current ally)."""
    user = request.user
    actor = actors_visible_to(user).filter(pk=code).first()
    if actor is None:
        raise Http404
    see_all = may_see_all_actors(user)
    return ActorAccess(
        actor,
        may_see_all=see_all,
        may_see_contacts=_may_see_contacts(user, actor),
        may_link=see_all and not actor.archived,
    )


def sorted_by_name(actors: QuerySet[Actor] | list[Actor]) -> list[Actor]:
    """The name is encrypted, so this sorts in Python; it decrypts only the names."""
    return sorted(actors, key=lambda actor: actor.name.casefold())


def in_list_order(actors: QuerySet[Actor]) -> QuerySet[Actor]:
    """The order of the actor list, in the database so it can be paginated there: strongest
    first, then in the order they were added. The name is ciphertext and cannot sort."""
    return actors.order_by("-power", "created_at", "pk")


def serving(actors: QuerySet[Actor], area: Place | None) -> QuerySet[Actor]:
    """Actors serving the area: named for it, or serving everywhere. No area: all of them."""
    if area is None:
        return actors
    return actors.filter(Q(serves_everywhere=True) | Q(areas=area)).distinct()


@dataclass(frozen=True)
class EngagementAccess:
    """A recorded contact with an actor. Engagements are coordinators' records: whoever finds
    one may change it."""

    engagement: Engagement


def get_engagement_for_user(request: AuthenticatedHttpRequest, code: UUID) -> EngagementAccess:
    """The contact, or 404 for anyone but coordinators and administrators: staff never see
    engagements, not even with allies."""
    if not may_see_all_actors(request.user):
        raise Http404
    engagement = (
        Engagement.objects.filter(pk=code, actor__in=actors_visible_to(request.user))
        .select_related("actor")
        .first()
    )
    if engagement is None:
        raise Http404
    return EngagementAccess(engagement)


@dataclass(frozen=True)
class RelationAccess:
    """How one actor stands to another: analysis for those who may see relations, who may
    also remove it."""

    relation: Relation


def get_relation_for_user(request: AuthenticatedHttpRequest, code: UUID) -> RelationAccess:
    """The relation, or 404 for anyone who may not see relations or either of its actors."""
    if not may_see_relations(request.user):
        raise Http404
    visible = actors_visible_to(request.user)
    relation = Relation.objects.filter(pk=code, source__in=visible, target__in=visible).first()
    if relation is None:
        raise Http404
    return RelationAccess(relation)


@dataclass(frozen=True)
class SharingConsentAccess:
    """A person's consent, not yet withdrawn, to their information going to an ally. Those who
    may see it (coordinators and administrators) may withdraw it on the person's word."""

    consent: SharingConsent


def get_standing_consent_for_user(
    request: AuthenticatedHttpRequest, code: UUID
) -> SharingConsentAccess:
    """A standing consent of a person the user may see, or 404: staff never see consents."""
    if not may_see_all_actors(request.user):
        raise Http404
    consent = SharingConsent.objects.filter(
        pk=code, withdrawn_on__isnull=True, person__in=people_visible_to(request.user)
    ).first()
    if consent is None:
        raise Http404
    return SharingConsentAccess(consent)


def actors_for_picking(user: User) -> QuerySet[Actor]:
    return actors_visible_to(user).filter(archived=False).only("id", "name", "stance")


def requests_in_window(actor_ids: list[Any], *, today: date | None = None) -> dict[Any, int]:
    """How often each actor was asked for help (requests and referrals) in the last 90 days.

    One query for any number of actors.
    """
    since = (today or timezone.localdate()) - ASKED_WINDOW
    asks = Engagement.objects.filter(kind__in=Engagement.ASKING, date__gt=since)
    rows = asks.filter(actor_id__in=actor_ids).values("actor_id").annotate(asked=Count("id"))
    return {row["actor_id"]: row["asked"] for row in rows}


def is_asked_often(asked: int) -> bool:
    return asked > settings.ALLY_ASKED_OFTEN_AFTER


@dataclass(frozen=True)
class RequestRecord:
    """How an ally answered when the organization really asked."""

    asked: int
    helped: int
    partly: int
    declined: int
    no_response: int
    pending: int
    typical_hours: float | None  # the median response time, where one was recorded


def request_record(actor: Actor) -> RequestRecord:
    rows = list(
        actor.engagements.filter(kind__in=Engagement.ASKING).values_list(
            "outcome", "response_hours"
        )
    )
    outcomes = [outcome for outcome, _hours in rows]
    hours = [hours for _outcome, hours in rows if hours is not None]
    return RequestRecord(
        asked=len(rows),
        helped=outcomes.count(Engagement.Outcome.HELPED),
        partly=outcomes.count(Engagement.Outcome.PARTLY),
        declined=outcomes.count(Engagement.Outcome.DECLINED),
        no_response=outcomes.count(Engagement.Outcome.NO_RESPONSE),
        pending=outcomes.count(Engagement.Outcome.PENDING),
        typical_hours=statistics.median(hours) if hours else None,
    )


def is_verified_recently(actor: Actor, *, today: date | None = None) -> bool:
    if actor.last_verified is None:
        return False
    return (today or timezone.localdate()) - actor.last_verified <= VERIFIED_FRESH_FOR


def cell_totals(actors: QuerySet[Actor]) -> dict[tuple[str, int], int]:
    """How many of `actors` there are at each stance and power, counted in the database."""
    rows = (
        Actor.objects.filter(pk__in=actors.values("pk"))
        .order_by()
        .values_list("stance", "power")
        .annotate(total=Count("pk"))
    )
    return {(stance, power): total for stance, power, total in rows}


def first_in_each_cell(actors: QuerySet[Actor], *, per_cell: int) -> QuerySet[Actor]:
    """At most `per_cell` of `actors` at each stance and power, the most trusted first, then
    the longest known: one query, so only the names the map shows are read and decrypted."""
    # Through the primary keys, so a filter's join (an area) never counts an actor twice.
    ranked = Actor.objects.filter(pk__in=actors.values("pk")).annotate(
        place_in_cell=Window(
            RowNumber(),
            partition_by=[F("stance"), F("power")],
            order_by=[F("trust").desc(nulls_last=True), F("created_at").asc(), F("pk").asc()],
        )
    )
    return ranked.filter(place_in_cell__lte=per_cell)


def relations_among(actors: QuerySet[Actor] | list[Actor]) -> QuerySet[Relation]:
    """Relations whose both ends are in `actors`, in one query."""
    return Relation.objects.filter(source__in=actors, target__in=actors)


def relations_of(actor: Actor, user: User) -> list[Relation]:
    """The actor's relations with other actors the user may see."""
    visible = actors_visible_to(user)
    return list(
        Relation.objects.filter(Q(source=actor) | Q(target=actor))
        .filter(source__in=visible, target__in=visible)
        .select_related("source", "target")
    )


# How many allies each need shows: enough to choose whom to call, few enough to read on a phone
# in a hurry. Choosing one need shows more of it; the area filter narrows further.
DIRECTORY_SHOWN = 5
DIRECTORY_ONE_NEED = 50


@dataclass(frozen=True)
class DirectorySection:
    capability: Capability
    allies: list[Actor]  # the ones shown, by name
    total: int  # everyone listed for this need

    @property
    def more(self) -> int:
        return self.total - len(self.allies)


def directory(
    *,
    area: Place | None = None,
    capability: str = "",
    among: Collection[str] | None = None,
    shown: int | None = None,
) -> list[DirectorySection]:
    """Who to call for what: allies listed in the directory, by capability, in two queries.

    Each need shows at most `shown` allies (by default DIRECTORY_SHOWN, or DIRECTORY_ONE_NEED
    when one need is asked for): the most trusted first, then the most recently checked, chosen
    by the database. Only their names and contacts are decrypted, however large the network.
    `among` keeps to those needs only (a safety plan's local ones).
    """
    if shown is None:
        shown = DIRECTORY_ONE_NEED if capability else DIRECTORY_SHOWN
    allies = serving(
        Actor.objects.filter(stance=Stance.ALLY, in_directory=True, archived=False), area
    )
    offers = ActorCapability.objects.filter(actor__in=allies.values("pk"))
    if capability:
        offers = offers.filter(capability=capability)
    if among is not None:
        offers = offers.filter(capability__in=among)
    ranked = offers.annotate(
        rank=Window(
            RowNumber(),
            partition_by=F("capability"),
            order_by=[
                F("actor__trust").desc(nulls_last=True),
                F("actor__last_verified").desc(nulls_last=True),
                F("actor__created_at"),
                F("actor_id"),  # the same few every time, whatever the ties
            ],
        ),
        total=Window(Count("pk"), partition_by=F("capability")),
    ).filter(rank__lte=shown)
    chosen = list(ranked.values_list("capability", "actor_id", "total"))
    actors = {actor.pk: actor for actor in Actor.objects.filter(pk__in={a for _, a, _ in chosen})}
    shown_by_need: dict[str, list[Actor]] = defaultdict(list)
    totals: dict[str, int] = {}
    for need, actor_id, total in chosen:
        shown_by_need[need].append(actors[actor_id])
        totals[need] = total
    return [
        DirectorySection(need, sorted_by_name(shown_by_need[need.value]), totals[need.value])
        for need in Capability
        if need.value in totals
    ]


@dataclass(frozen=True)
class Gap:
    """A finding: no trusted ally offers these capabilities in this area (or anywhere)."""

    place: Place | None  # None: across the whole network
    missing: list[Capability]


def _trusted_capabilities() -> QuerySet[ActorCapability]:
    return ActorCapability.objects.filter(
        actor__stance=Stance.ALLY, actor__archived=False, actor__trust__gte=TRUSTED_FROM
    )


def capability_gaps() -> list[Gap]:
    """Capabilities no trusted ally offers: the local ones area by area, the rest network-wide.

    Areas are the places of kind "area" and "outreach site": offices, shelters and venues are
    sites within them. With no area on record, the local capabilities are checked network-wide
    too, so an organization that has not described its areas still learns what nobody offers.
    Four queries whatever the number of actors and places.
    """
    trusted = _trusted_capabilities()
    everywhere = set(
        trusted.filter(actor__serves_everywhere=True).values_list("capability", flat=True)
    )
    anywhere = set(trusted.values_list("capability", flat=True))
    local: dict[Any, set[str]] = defaultdict(set)
    for place_id, capability in trusted.filter(actor__areas__isnull=False).values_list(
        "actor__areas", "capability"
    ):
        local[place_id].add(capability)
    areas = sorted_places(places_for_picking().filter(kind__in=AREA_KINDS))
    gaps = []
    for place in areas:
        offered = everywhere | local[place.pk]
        missing = [c for c in LOCAL_CAPABILITIES if c.value not in offered]
        if missing:
            gaps.append(Gap(place, missing))
    checked_network_wide = [c for c in Capability if c not in LOCAL_CAPABILITIES or not areas]
    network_wide = [c for c in checked_network_wide if c.value not in anywhere]
    if network_wide:
        gaps.append(Gap(None, network_wide))
    return gaps


def consents_of(person: Person) -> QuerySet[SharingConsent]:
    """The person's sharing consents, newest first, each with its actor, in one query."""
    return person.sharing_consents.select_related("ally").order_by("-given_on", "-id")


def consenting_people(actor: Actor) -> list[Person]:
    """People who consented, and have not withdrawn, to sharing with this actor."""
    standing = actor.sharing_consents.filter(withdrawn_on__isnull=True).values("person_id")
    return list(Person.objects.filter(pk__in=standing, erased_at__isnull=True).order_by("alias"))


def records_naming_person(*, person: Person) -> list[NamingRecord]:
    """For the person's access report (registered in AlliesConfig.ready): the contacts with an
    actor that name them, in one query. Named by kind and date: the actor's name and the purpose
    are encrypted and stay so."""
    engagements = Engagement.objects.filter(person=person).order_by("date", "created_at")
    return [
        naming_record(
            Engagement,
            pk,
            _("Contact with an ally: %(kind)s, %(date)s")
            % {"kind": Engagement.Kind(kind).label, "date": day.isoformat()},
        )
        for pk, kind, day in engagements.values_list("pk", "kind", "date")
    ]


def actor_label(name: str, stance: str) -> str:
    """An actor as pickers show it: its name and its stance."""
    return f"{name} ({Stance(stance).label})"


def actor_matches(actors: QuerySet[Actor], query: str) -> Matches:
    """The actors among `actors` whose name or stance holds every word typed, at most
    pickers.LIMIT. Names come from the per-process cache; only the matches a picker shows
    count as shown (pickers.shown_without)."""
    rows = cached_names(actors, name="name", plain="stance")
    return decrypted_names(
        Actor, best_matches([(pk, actor_label(n, s)) for pk, n, s in rows], query)
    )


def recent_engagements() -> QuerySet[Engagement]:
    """The contacts of the last 90 days, newest first: those a timeline entry may name."""
    since = timezone.localdate() - timedelta(days=90)
    return Engagement.objects.filter(date__gte=since).select_related("actor").order_by("-date")


def engagement_label(day: date, actor_name: str, kind: str) -> str:
    """A contact as a picker shows it: its date, the actor and the kind of contact."""
    when = formats.date_format(day, "j M Y")  # the month's name in the reader's language
    return f"{when}: {actor_name} ({Engagement.Kind(kind).label})"


def engagement_matches(engagements: QuerySet[Engagement], query: str) -> Matches:
    """The contacts among `engagements` whose date, actor or kind holds every word typed, at
    most pickers.LIMIT. Actors' names come from the per-process cache; the actors named by the
    matches a picker shows count as shown (pickers.shown_without)."""
    rows = list(engagements.values_list("pk", "date", "actor_id", "kind"))
    actors = Actor.objects.filter(pk__in={actor for _pk, _day, actor, _kind in rows})
    names = {pk: name for pk, name, _stance in cached_names(actors, name="name", plain="stance")}
    labels = [
        (pk, engagement_label(day, names.get(actor, ""), kind)) for pk, day, actor, kind in rows
    ]
    found = best_matches(labels, query)
    actor_of = {str(pk): actor for pk, _day, actor, _kind in rows}
    named = [replace(match, names=(Actor, actor_of[match.value])) for match in found.found]
    return replace(found, found=named)


def actors_narrowed(
    actors: QuerySet[Actor], *, stances: list[str], leaving_out: list[str]
) -> QuerySet[Actor]:
    """`actors` of the given stances only (all of them when none is given), less the actors
    `leaving_out` names: what a picker's address asks of a search. It narrows, never widens."""
    if stances:
        actors = actors.filter(stance__in=[s for s in stances if s in Stance.values])
    keys = []
    for key in leaving_out:
        try:
            keys.append(UUID(key))
        except ValueError:
            continue  # not a key: it names no actor to leave out
    return actors.exclude(pk__in=keys)


def ally_label(name: str, asked: int) -> str:
    """An ally as a measure's picker shows it: its name, and whether it was asked often lately,
    so requests are spread across the network."""
    if is_asked_often(asked):
        return str(_("%(name)s (asked often lately)") % {"name": name})
    return name


def ally_matches(actors: QuerySet[Actor], query: str) -> Matches:
    """Like actor_matches, labelled by ally_label: one more query, for the matches only."""
    rows = cached_names(actors, name="name", plain="stance")
    found = best_matches([(pk, name) for pk, name, _stance in rows], query)
    asked = {str(pk): n for pk, n in requests_in_window([m.value for m in found.found]).items()}
    labelled = [Match(m.value, ally_label(m.label, asked.get(m.value, 0))) for m in found.found]
    return decrypted_names(Actor, Matches(query=found.query, found=labelled, more=found.more))
