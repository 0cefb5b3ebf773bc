from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from allies import services
from allies.actor_map import PER_CELL, actor_map
from allies.forms import (
    ActorFilterForm,
    ActorForm,
    EngagementForm,
    RelationForm,
    SharingConsentForm,
)
from allies.models import Actor, Capability, Engagement, Stance
from allies.selectors import (
    ActorAccess,
    EngagementAccess,
    RelationAccess,
    SharingConsentAccess,
    actor_matches,
    actors_for_picking,
    actors_narrowed,
    actors_visible_to,
    ally_matches,
    capability_gaps,
    cell_totals,
    consenting_people,
    consents_of,
    directory,
    engagement_matches,
    first_in_each_cell,
    get_actor_for_user,
    get_engagement_for_user,
    get_relation_for_user,
    get_standing_consent_for_user,
    in_list_order,
    is_asked_often,
    is_verified_recently,
    may_see_all_actors,
    may_see_relations,
    recent_engagements,
    relations_among,
    relations_of,
    request_record,
    requests_in_window,
    sorted_by_name,
)
from safespaces.access import Access, AuthenticatedHttpRequest, access
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_list, audit_record, audit_view
from safespaces.editing import edit_saved
from safespaces.people.selectors import PersonAccess, get_person_for_user
from safespaces.pickers import find_in, matches_response, require_safe_or_find, searched_form

GET_OR_POST = ["GET", "HEAD", "POST"]
ACTOR_PAGE_SIZE = 50


@access(Access.STAFF)
@require_safe_or_find
@sensitive_post_parameters()
def actor_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff see allies; coordinators and administrators every actor, archived ones on request.

    A page at a time, strongest first: names are encrypted, so the database cannot sort by them,
    and only the names on the page are decrypted. A POST is a filter's "Find" (see
    safespaces.pickers.find_in): it changes nothing.
    """
    see_all = may_see_all_actors(request.user)
    form = ActorFilterForm(
        request.GET or None,
        see_all=see_all,
        fields=["sector", "area", "stance", "power", "capability", "archived"],
    )
    find_in(form, request)
    actors = in_list_order(form.filter(actors_visible_to(request.user)))
    page = Paginator(actors.prefetch_related("capabilities"), ACTOR_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    shown = list(page.object_list)
    asked = requests_in_window([actor.pk for actor in shown])
    rows = [(actor, is_asked_often(asked.get(actor.pk, 0))) for actor in shown]
    if see_all:
        # Adversaries' names among them: recorded as one listing.
        audit_list(request, object_type="allies.actor")
    context = {"form": form, "page": page, "rows": rows, "see_all": see_all}
    return render(request, "allies/actor_list.html", context)


@access(Access.STAFF, of=get_actor_for_user)
@require_safe
def actor_detail(request: AuthenticatedHttpRequest, found: ActorAccess) -> HttpResponse:
    actor, see_all = found.actor, found.may_see_all
    asked = requests_in_window([actor.pk]).get(actor.pk, 0)
    context = {
        "actor": actor,
        "see_all": see_all,
        "show_contacts": found.may_see_contacts,
        "verified_recently": is_verified_recently(actor),
        "asked": asked,
        "asked_often": is_asked_often(asked),
        "capabilities": actor.capabilities.all(),
        "areas": actor.areas.all(),
    }
    if see_all:
        # Notes, engagements and who consented to sharing: a coordinator's view, recorded.
        audit_view(request, actor)
        context |= {
            "relations": relations_of(actor, request.user),
            "engagements": actor.engagements.select_related("person"),
            "record": request_record(actor),
            "consenting": consenting_people(actor),
        }
    return render(request, "allies/actor_detail.html", context)


@access(Access.COORDINATOR)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("areas_find")
def actor_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    # A finding of the gap list opens this form with the missing capability and area ticked.
    initial = {
        "capabilities": request.GET.getlist("capability"),
        "areas": request.GET.getlist("area"),
        "stance": Actor.Stance.ALLY if request.GET else None,
    }
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(ActorForm, request.POST)
    else:
        form = ActorForm(request.POST or None, initial=initial)
    if form.is_bound and form.is_valid():
        actor = services.actor_create(
            actor=form.save(commit=False),
            capabilities=form.cleaned_data["capabilities"],
            areas=list(form.cleaned_data["areas"]),
            by=request.user,
        )
        messages.success(request, _("The actor was added."))
        return redirect("allies:detail", code=actor.pk)
    return render(request, "allies/actor_form.html", {"form": form, "actor": None})


@access(Access.COORDINATOR, of=get_actor_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("areas_find")
def actor_edit(request: AuthenticatedHttpRequest, found: ActorAccess) -> HttpResponse:
    actor = found.actor
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(ActorForm, request.POST, instance=actor)
        audit_view(request, actor)
        return render(request, "allies/actor_form.html", {"form": searched, "actor": actor})
    form = ActorForm(request.POST or None, instance=actor)
    if edit_saved(
        request,
        form,
        save=lambda: services.actor_update(
            actor=form.save(commit=False),
            seen_version=form.seen_version,
            capabilities=form.cleaned_data["capabilities"],
            areas=list(form.cleaned_data["areas"]),
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this actor"),
    ):
        return redirect("allies:detail", code=actor.pk)
    audit_view(request, actor)  # the form shows contacts and notes
    return render(request, "allies/actor_form.html", {"form": form, "actor": actor})


@access(Access.COORDINATOR, of=get_actor_for_user)
@require_http_methods(GET_OR_POST)
def actor_archive(request: AuthenticatedHttpRequest, found: ActorAccess) -> HttpResponse:
    """Ask first, then archive: the actor leaves the lists, the map and the directory."""
    actor = found.actor
    if request.method == "POST":
        if not actor.archived:
            services.actor_archive(actor=actor, by=request.user)
        messages.success(request, _("The actor was archived."))
        return redirect("allies:list")
    return render(request, "allies/actor_archive.html", {"actor": actor})


def _linkable(found: ActorAccess) -> Actor:
    """An actor new relations and contacts may be recorded with. An archived one has none
    to record: the address is not there for it."""
    if not found.may_link:
        raise Http404
    return found.actor


@access(Access.COORDINATOR, of=get_actor_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("target_find")
def relation_create(request: AuthenticatedHttpRequest, found: ActorAccess) -> HttpResponse:
    source = _linkable(found)
    choices = actors_for_picking(request.user)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(RelationForm, request.POST, source=source, choices=choices)
        return render(request, "allies/relation_form.html", {"form": searched, "actor": source})
    form = RelationForm(request.POST or None, source=source, choices=choices)
    if request.method == "POST" and form.is_valid():
        services.relation_create(
            source=source,
            kind=form.cleaned_data["kind"],
            target=form.cleaned_data["target"],
            by=request.user,
        )
        messages.success(request, _("The relation was added to the map."))
        return redirect("allies:detail", code=source.pk)
    return render(request, "allies/relation_form.html", {"form": form, "actor": source})


@access(Access.COORDINATOR, of=get_relation_for_user)
@require_POST
def relation_delete(request: AuthenticatedHttpRequest, found: RelationAccess) -> HttpResponse:
    relation = found.relation
    services.relation_delete(relation=relation, by=request.user)
    messages.success(request, _("The relation was removed."))
    return redirect("allies:detail", code=relation.source_id)


@access(Access.COORDINATOR, of=get_actor_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("person_find")
def engagement_create(request: AuthenticatedHttpRequest, found: ActorAccess) -> HttpResponse:
    actor = _linkable(found)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(EngagementForm, request.POST, actor=actor)
    else:
        form = EngagementForm(request.POST or None, actor=actor)
    if form.is_bound and form.is_valid():
        engagement = form.save(commit=False)
        engagement.actor = actor
        services.engagement_record(engagement=engagement, by=request.user)
        messages.success(request, _("The contact was recorded."))
        return redirect("allies:detail", code=actor.pk)
    context = {"form": form, "actor": actor, "engagement": None}
    return render(request, "allies/engagement_form.html", context)


@access(Access.COORDINATOR, of=get_engagement_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("person_find")
def engagement_edit(request: AuthenticatedHttpRequest, found: EngagementAccess) -> HttpResponse:
    engagement = found.engagement
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(
            EngagementForm, request.POST, instance=engagement, actor=engagement.actor
        )
        audit_view(request, engagement)
        context = {"form": searched, "actor": engagement.actor, "engagement": engagement}
        return render(request, "allies/engagement_form.html", context)
    form = EngagementForm(request.POST or None, instance=engagement, actor=engagement.actor)
    if edit_saved(
        request,
        form,
        save=lambda: services.engagement_update(
            engagement=form.save(commit=False),
            seen_version=form.seen_version,
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this contact"),
    ):
        return redirect("allies:detail", code=engagement.actor_id)
    audit_view(request, engagement)  # the form shows the purpose, notes and person
    context = {"form": form, "actor": engagement.actor, "engagement": engagement}
    return render(request, "allies/engagement_form.html", context)


@access(Access.STAFF)
@require_safe_or_find
@sensitive_post_parameters()
def map_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The actor map: staff see the allies among themselves, coordinators everyone. A POST is
    a filter's "Find" (see safespaces.pickers.find_in): it changes nothing."""
    form = ActorFilterForm(request.GET or None, see_all=False, fields=["sector", "area"])
    find_in(form, request)
    actors = form.filter(actors_visible_to(request.user))
    # Each cell draws its first few actors and counts the rest: the map costs the same and
    # decrypts as many names for a thousand actors as for a hundred.
    drawn = list(
        first_in_each_cell(actors, per_cell=PER_CELL).only(
            "id", "kind", "sector", "stance", "power", "name"
        )
    )
    relations = relations_among(drawn) if may_see_relations(request.user) else []
    see_all = may_see_all_actors(request.user)
    if see_all:
        audit_list(request, object_type="allies.actor")
    # Staff see allies only: a map of empty columns would only say what is hidden from them.
    stances = None if see_all else [Stance.ALLY]
    layout = actor_map(
        drawn,
        list(relations),
        stances=stances,
        rtl=get_language_bidi(),
        totals=cell_totals(actors),
        filters=_map_filters(form),
    )
    context = {"form": form, "map": layout}
    return render(request, "allies/actor_map.html", context)


def _map_filters(form: ActorFilterForm) -> dict[str, str]:
    """The map's filters as the actor list takes them: a sector's key and a place's random
    code, so the "+N more" links keep them."""
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    filters = {"sector": data["sector"]} if data.get("sector") else {}
    if data.get("area"):
        filters["area"] = str(data["area"].pk)
    return filters


def _directory_context(request: AuthenticatedHttpRequest) -> dict[str, object]:
    form = ActorFilterForm(request.GET or None, see_all=False, fields=["capability", "area"])
    find_in(form, request)
    area = capability = None
    if form.is_valid():
        area, capability = form.cleaned_data["area"], form.cleaned_data["capability"]
    sections = directory(area=area, capability=capability or "")
    allies = {ally.pk: ally for section in sections for ally in section.allies}
    asked = requests_in_window(list(allies))
    return {
        "form": form,
        "sections": sections,
        "allies": sorted_by_name(list(allies.values())),
        "stale": {pk for pk, ally in allies.items() if not is_verified_recently(ally)},
        "asked_often": {pk for pk in allies if is_asked_often(asked.get(pk, 0))},
        "area": area,
        "one_need": bool(capability),
        "today": timezone.localdate(),
    }


@access(Access.STAFF)
@require_safe_or_find
@sensitive_post_parameters()
def directory_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who to call for what, with their contact channels, for everyone. A POST is a filter's
    "Find" (see safespaces.pickers.find_in): it changes nothing."""
    return render(request, "allies/directory.html", _directory_context(request))


@access(Access.STAFF)
@require_safe
def directory_card(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The directory as a pocket card to print: a copy that leaves the app, so it is recorded."""
    context = _directory_context(request)
    audit_record(
        action=AuditEvent.Action.EXPORT, actor=request.user, object_type="allies.directory"
    )
    return render(request, "allies/directory_card.html", context)


@access(Access.COORDINATOR)
@require_safe
def gap_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {"gaps": capability_gaps(), "capabilities": Capability}
    return render(request, "allies/gaps.html", context)


@access(Access.COORDINATOR, of=get_person_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("ally_find")
def person_sharing(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    """A person's consents to share their information with named allies."""
    person = found.person
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(SharingConsentForm, request.POST, person=person)
    else:
        form = SharingConsentForm(request.POST or None, person=person)
    if request.method == "POST" and form.is_bound and form.is_valid():
        services.sharing_consent_record(
            person=person,
            ally=form.cleaned_data["ally"],
            given_on=form.cleaned_data["given_on"],
            by=request.user,
        )
        messages.success(request, _("Their consent was recorded."))
        return redirect("allies:person_sharing", code=person.pk)
    audit_view(request, person)  # where a survivor's information may go: in their report
    context = {"person": person, "form": form, "consents": consents_of(person)}
    return render(request, "allies/person_sharing.html", context)


@access(Access.COORDINATOR, of=get_standing_consent_for_user)
@require_POST
def sharing_withdraw(
    request: AuthenticatedHttpRequest, found: SharingConsentAccess
) -> HttpResponse:
    consent = found.consent
    services.sharing_consent_withdraw(consent=consent, by=request.user)
    messages.success(request, _("The consent was withdrawn. Nothing more goes to this actor."))
    return redirect("allies:person_sharing", code=consent.person_id)


@access(Access.COORDINATOR)
@require_POST
@sensitive_post_parameters("q")
def engagement_pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The recent contacts with allies matching what was typed, for the picker of a timeline
    entry (see safespaces.pickers): contacts are coordinators' records."""
    return matches_response(
        request, Engagement, lambda query: engagement_matches(recent_engagements(), query)
    )


@access(Access.STAFF)
@require_POST
@sensitive_post_parameters("q")
def actor_pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The actors the user may pick matching what was typed, for a picker (see
    safespaces.pickers): staff find allies only, as everywhere. The picker's address may
    narrow the search to what its field takes (see allies.forms.actor_pick_url): closed values
    and random codes only, never what was typed."""
    actors = actors_narrowed(
        actors_for_picking(request.user),
        stances=request.GET.getlist("stance"),
        leaving_out=request.GET.getlist("except"),
    )
    search = ally_matches if request.GET.get("asked") else actor_matches
    return matches_response(request, Actor, lambda query: search(actors, query))
