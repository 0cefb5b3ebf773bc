import csv
from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from safespaces.access import Access, access, forbidden
from safespaces.audit.services import audit_view
from safespaces.editing import edit_saved
from safespaces.navigation import person_links_for
from safespaces.people import services
from safespaces.people.forms import DateRangeForm, ErasureForm, GrantForm, PersonForm, SearchForm
from safespaces.people.models import IDENTITY_FIELDS, ErasureRequest, IdentityGrant, Person
from safespaces.people.selectors import (
    access_events,
    active_grants,
    get_person_for_user,
    granted_among,
    may_reveal,
    people_search,
    people_visible_to,
)
from safespaces.spreadsheets import safe_cell

PAGE_SIZE = 50


@access(Access.STAFF)
@require_safe
def person_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = people_search(request.user, **filters)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/person_list.html", {"form": form, "page": page})


def _detail(request: HttpRequest, person: Person, identity: dict[str, str] | None) -> HttpResponse:
    fields = [(Person._meta.get_field(name).verbose_name, name) for name in IDENTITY_FIELDS]
    context = {
        "person": person,
        "identity": [(label, identity[name] if identity else None) for label, name in fields],
        "revealed": identity is not None,
        "may_reveal": may_reveal(request.user, person),
        "person_links": person_links_for(request, person.pk),
    }
    return render(request, "people/person_detail.html", context)


@access(Access.STAFF)
@require_safe
def person_detail(request: HttpRequest, code: str) -> HttpResponse:
    person = get_person_for_user(request, code)
    audit_view(request, person)
    return _detail(request, person, identity=None)


@access(Access.STAFF)
@require_POST
def person_reveal(request: HttpRequest, code: str) -> HttpResponse:
    """Show the identity in this response only: it is not stored, cached or kept in the session,
    so the next page load shows it hidden again."""
    person = get_person_for_user(request, code)
    if not may_reveal(request.user, person):
        return forbidden(request)
    identity = services.person_reveal(person=person, by=request.user)
    return _detail(request, person, identity=identity)


@access(Access.COORDINATOR)
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, with_identity=True)
    if request.method == "POST" and form.is_valid():
        person = services.person_create(person=form.save(commit=False), by=request.user)
        messages.success(request, _("%(alias)s was added.") % {"alias": person.alias})
        return redirect("people:detail", code=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": None})


@access(Access.COORDINATOR)
def person_edit(request: HttpRequest, code: str) -> HttpResponse:
    person = get_person_for_user(request, code)
    with_identity = may_reveal(request.user, person)
    form = PersonForm(request.POST or None, instance=person, with_identity=with_identity)
    if edit_saved(
        request,
        form,
        save=lambda: services.person_update(
            person=form.save(commit=False),
            seen_version=form.seen_version,
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this person"),
    ):
        return redirect("people:detail", code=person.pk)
    if with_identity and request.method == "GET":
        # The form shows the identity fields' current values: that is a reveal.
        services.person_reveal(person=person, by=request.user)
    return render(request, "people/person_form.html", {"form": form, "person": person})


@access(Access.COORDINATOR)
@require_POST
def person_archive(request: HttpRequest, code: str) -> HttpResponse:
    person = get_person_for_user(request, code)
    services.person_archive(person=person, by=request.user)
    messages.success(request, _("%(alias)s was archived.") % {"alias": person.alias})
    return redirect("people:list")


@access(Access.ADMINISTRATOR)
@require_safe
def access_report(request: HttpRequest, code: str) -> HttpResponse:
    """Who saw or changed this person's record, and when: for the person to read."""
    person = get_person_for_user(request, code)
    form = DateRangeForm(request.GET or None)
    dates = form.cleaned_data if form.is_valid() else {}
    events = access_events(person, **dates)
    if request.GET.get("format") == "csv":
        return _access_report_csv(person, events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "people/access_report.html", {"person": person, "form": form, "page": page}
    )


def _access_report_csv(person: Person, events: object) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-report.csv"'
    writer = csv.writer(response)
    writer.writerow(["when", "who", "action", "fields"])
    for event in events:  # type: ignore[attr-defined]
        who = event.actor.username if event.actor else ""
        writer.writerow(
            [
                event.at.isoformat(),
                safe_cell(who),
                event.get_action_display(),
                " ".join(event.fields),
            ]
        )
    return response


@access(Access.ADMINISTRATOR)
def grant_list(request: HttpRequest) -> HttpResponse:
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        day = form.cleaned_data["expires_on"]
        services.grant_create(
            user=form.cleaned_data["user"],
            person=form.cleaned_data["person"],
            reason=form.cleaned_data["reason"],
            expires_at=timezone.make_aware(datetime.combine(day, time.min)),
            by=request.user,
        )
        messages.success(request, _("Access granted."))
        return redirect("people:grants")
    grants = IdentityGrant.objects.select_related("user", "person", "granted_by")
    active = active_grants().values_list("pk", flat=True)
    context = {
        "form": form,
        "active": grants.filter(pk__in=active),
        "ended": grants.exclude(pk__in=active)[:PAGE_SIZE],
    }
    return render(request, "people/grant_list.html", context)


@access(Access.ADMINISTRATOR)
@require_POST
def grant_revoke(request: HttpRequest, code: str) -> HttpResponse:
    grant = get_object_or_404(active_grants(), pk=code)
    services.grant_revoke(grant=grant, by=request.user)
    messages.success(request, _("Access revoked."))
    return redirect("people:grants")


@access(Access.ADMINISTRATOR)
def person_erase(request: HttpRequest, code: str) -> HttpResponse:
    """Ask for erasure; a second administrator approves it on the erasures page."""
    person = get_person_for_user(request, code)
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if person.erasure_requests.filter(
            approved_at__isnull=True, cancelled_at__isnull=True
        ).exists():
            messages.info(request, _("Erasure of this person is already waiting for approval."))
        else:
            services.erasure_request(
                person=person, reason=form.cleaned_data["reason"], by=request.user
            )
            messages.success(
                request, _("Erasure requested. Another administrator must approve it.")
            )
        return redirect("people:erasures")
    return render(request, "people/person_erase.html", {"person": person, "form": form})


@access(Access.ADMINISTRATOR)
@require_safe
def erasure_list(request: HttpRequest) -> HttpResponse:
    requests = ErasureRequest.objects.select_related("person", "requested_by", "approved_by")
    context = {
        "pending": requests.filter(approved_at__isnull=True, cancelled_at__isnull=True),
        "done": requests.exclude(approved_at__isnull=True, cancelled_at__isnull=True)[:PAGE_SIZE],
    }
    return render(request, "people/erasure_list.html", context)


def _open_erasure(code: str) -> ErasureRequest:
    pending = ErasureRequest.objects.filter(approved_at__isnull=True, cancelled_at__isnull=True)
    return get_object_or_404(pending, pk=code)


@access(Access.ADMINISTRATOR)
@require_POST
def erasure_approve(request: HttpRequest, code: str) -> HttpResponse:
    erasure = _open_erasure(code)
    try:
        services.erasure_approve(request=erasure, by=request.user)
    except services.SameAdministrator:
        messages.error(
            request, _("You asked for this erasure: another administrator must approve it.")
        )
    else:
        messages.success(request, _("The person was erased."))
    return redirect("people:erasures")


@access(Access.ADMINISTRATOR)
@require_POST
def erasure_cancel(request: HttpRequest, code: str) -> HttpResponse:
    services.erasure_cancel(request=_open_erasure(code), by=request.user)
    messages.success(request, _("Erasure request cancelled."))
    return redirect("people:erasures")


@access(Access.ADMINISTRATOR)
@require_safe
def person_export(request: HttpRequest) -> HttpResponse:
    """Every person as CSV. Identity columns only for people the administrator holds an active
    grant for: exporting identities in bulk is a separate, deliberate decision. Each exported
    person gets an export event, so it shows in their access report."""
    people = list(people_visible_to(request.user).order_by(Lower("alias")))
    # Identities only where a grant covers them, administrators included: exporting identities
    # in bulk is a decision of its own, not a side effect of the role.
    covered = granted_among(request.user, people)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="people.csv"'
    writer = csv.writer(response)
    writer.writerow(["alias", "relation", "consent_to_store", "consent_given_on", *IDENTITY_FIELDS])
    for person in people:
        identity = [
            getattr(person, name) if person.pk in covered else "" for name in IDENTITY_FIELDS
        ]
        row = [
            person.alias,
            person.relation,
            person.consent_to_store,
            person.consent_to_store_on or "",
        ]
        writer.writerow([safe_cell(cell) for cell in [*row, *identity]])
    services.people_export_record(people=people, with_identity=covered, by=request.user)
    return response
