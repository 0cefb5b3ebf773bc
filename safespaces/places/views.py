from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from safespaces.access import Access, AuthenticatedHttpRequest, access
from safespaces.audit.services import audit_list, audit_view
from safespaces.editing import edit_saved
from safespaces.pickers import matches_response
from safespaces.places import services
from safespaces.places.forms import ArchivedFilterForm, PlaceForm
from safespaces.places.models import Place
from safespaces.places.selectors import (
    PlaceAccess,
    get_place_for_user,
    may_see_archived,
    place_matches,
    places_for_picking,
    places_visible_to,
    places_with_access,
    sorted_by_name,
)


@access(Access.STAFF)
@require_safe
def place_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Active places for everyone; archived ones, on request, for coordinators and up."""
    form = ArchivedFilterForm(request.GET or None)
    archived = may_see_archived(request.user) and form.is_valid() and form.cleaned_data["archived"]
    places = sorted_by_name(places_visible_to(request.user).filter(archived=archived))
    rows = [(row.place, row.may_see_address) for row in places_with_access(request.user, places)]
    with_addresses = any(shown for _place, shown in rows)
    if with_addresses:
        # A page of addresses, shelters among them: recorded as one listing, not per place.
        audit_list(request, object_type="places.place")
    context = {
        "rows": rows,
        "archived": archived,
        "may_see_archived": may_see_archived(request.user),
        "with_addresses": with_addresses,
    }
    return render(request, "places/place_list.html", context)


@access(Access.STAFF, of=get_place_for_user)
@require_safe
def place_detail(request: AuthenticatedHttpRequest, found: PlaceAccess) -> HttpResponse:
    place, show_address = found.place, found.may_see_address
    if show_address:
        audit_view(request, place)
    context = {"place": place, "show_address": show_address}
    return render(request, "places/place_detail.html", context)


@access(Access.COORDINATOR)
@require_http_methods(["GET", "HEAD", "POST"])
def place_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PlaceForm(request.POST or None, with_address=True)
    if request.method == "POST" and form.is_valid():
        place = services.place_create(place=form.save(commit=False), by=request.user)
        messages.success(request, _("The place was added."))
        return redirect("places:detail", code=place.pk)
    return render(request, "places/place_form.html", {"form": form, "place": None})


@access(Access.COORDINATOR, of=get_place_for_user)
@require_http_methods(["GET", "HEAD", "POST"])
def place_edit(request: AuthenticatedHttpRequest, found: PlaceAccess) -> HttpResponse:
    place, with_address = found.place, found.may_see_address
    form = PlaceForm(request.POST or None, instance=place, with_address=with_address)
    if edit_saved(
        request,
        form,
        save=lambda: services.place_update(
            place=form.save(commit=False),
            seen_version=form.seen_version,
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this place"),
    ):
        return redirect("places:detail", code=place.pk)
    if with_address:
        # The form shows the address: as much a view as the detail page.
        audit_view(request, place)
    return render(request, "places/place_form.html", {"form": form, "place": place})


@access(Access.COORDINATOR, of=get_place_for_user)
@require_POST
def place_archive(request: AuthenticatedHttpRequest, found: PlaceAccess) -> HttpResponse:
    place = found.place
    if not place.archived:
        services.place_archive(place=place, by=request.user)
    messages.success(request, _("The place was archived. It no longer appears in lists or forms."))
    return redirect("places:list")


@access(Access.STAFF)
@require_POST
@sensitive_post_parameters("q")
def place_pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The active places matching what was typed, for a picker (see safespaces.pickers)."""
    return matches_response(
        request, Place, lambda query: place_matches(places_for_picking(), query)
    )
