import csv
import uuid
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe

from safespaces.access import Access, AuthenticatedHttpRequest, access, forbidden
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_view
from safespaces.editing import edit_saved
from safespaces.navigation import object_links_for
from safespaces.people import services
from safespaces.people.forms import (
    DateRangeForm,
    ErasureForm,
    GrantForm,
    PersonForm,
    SearchForm,
    people_for_picking,
)
from safespaces.people.models import IDENTITY_FIELDS, ErasureRequest, IdentityGrant, Person
from safespaces.people.naming import NamingRecord, records_naming
from safespaces.people.selectors import (
    ErasureAccess,
    GrantAccess,
    PersonAccess,
    access_events,
    active_grants,
    erasure_access,
    get_erasure_for_user,
    get_grant_for_user,
    get_person_for_user,
    granted_among,
    pending_erasures,
    people_search,
    people_visible_to,
    person_matches,
    records_of_event,
)
from safespaces.pickers import matches_response
from safespaces.spreadsheets import csv_response, safe_cell

PAGE_SIZE = 50


@access(Access.STAFF)
@require_safe
def person_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = people_search(request.user, **filters)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "people/person_list.html", {"form": form, "page": page})


def _detail(
    request: AuthenticatedHttpRequest,
    found: PersonAccess,
    identity: dict[str, str] | None,
    *,
    hidden_again: bool = False,
) -> HttpResponse:
    person = found.person
    labels = {field.name: field.verbose_name for field in Person._meta.fields}
    context = {
        "person": person,
        "identity": [
            (labels[name], identity[name] if identity else None) for name in IDENTITY_FIELDS
        ],
        "revealed": identity is not None,
        "hidden_again": hidden_again,
        "may_reveal": found.may_reveal,
        "person_links": object_links_for(request, "person", person.pk),
    }
    return render(request, "people/person_detail.html", context)


# The query parameter that carries a reveal ticket's code from the reveal to the page showing it.
SHOWN = "shown"


@access(Access.STAFF, of=get_person_for_user)
@require_safe
def person_detail(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    ticket = _ticket_code(request.GET.get(SHOWN, ""))
    identity = None
    if ticket is not None and found.may_reveal:
        identity = services.reveal_ticket_use(code=ticket, person=found.person, by=request.user)
    if identity is None:
        # A page with the identity is recorded by its reveal event alone, as one event.
        audit_view(request, found.person)
    hidden_again = ticket is not None and found.may_reveal and identity is None
    return _detail(request, found, identity=identity, hidden_again=hidden_again)


def _ticket_code(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@access(Access.STAFF, of=get_person_for_user)
@require_POST
def person_reveal(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    """Reveal the identity once: this POST leaves a one-time ticket and redirects to the page.

    Answering the POST with the identity itself would let a reload resubmit it: the identity
    shown again and a second reveal recorded, though nobody asked twice. After a redirect a
    reload repeats the GET instead. The identity must not travel in the address or wait in the
    session, so the GET gets only a ticket: random, bound to this user and person, good for a
    minute and for one use, and holding no value (services.reveal_ticket_use). The GET that uses
    it shows the identity and records the reveal; a reload finds it used and shows the identity
    hidden. A script that rewrote the history entry would not cover browsers without scripts.
    """
    if not found.may_reveal:
        return forbidden(request)
    ticket = services.reveal_ticket_create(person=found.person, by=request.user)
    address = reverse("people:detail", kwargs={"code": found.person.pk})
    # 303: the browser follows with a GET, whatever the method of the request before.
    return HttpResponseRedirect(f"{address}?{urlencode({SHOWN: str(ticket.pk)})}", status=303)


@access(Access.COORDINATOR)
def person_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, with_identity=True)
    if request.method == "POST" and form.is_valid():
        person = services.person_create(person=form.save(commit=False), by=request.user)
        messages.success(request, _("%(alias)s was added.") % {"alias": person.alias})
        return redirect("people:detail", code=person.pk)
    return render(request, "people/person_form.html", {"form": form, "person": None})


@access(Access.COORDINATOR, of=get_person_for_user)
def person_edit(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    person, with_identity = found.person, found.may_reveal
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


@access(Access.COORDINATOR, of=get_person_for_user)
@require_POST
def person_archive(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    person = found.person
    services.person_archive(person=person, by=request.user)
    messages.success(request, _("%(alias)s was archived.") % {"alias": person.alias})
    return redirect("people:list")


@dataclass(frozen=True)
class AccessRow:
    """An event of the access report, with which of the person's records it is about."""

    event: AuditEvent
    records: list[str]  # labels: "Person record", "Incident INC-2026-0012"...


@access(Access.ADMINISTRATOR, of=get_person_for_user)
@require_safe
def access_report(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    """Who saw or changed this person's record, or any record that names them, and when: for
    the person to read.

    Administrators alone read it, and they may see every record that can name a person; rows
    name those records by values kept in clear (`safespaces.people.naming`), never by others.
    """
    person = found.person
    form = DateRangeForm(request.GET or None)
    dates = form.cleaned_data if form.is_valid() else {}
    records = records_naming(person)
    events = access_events(records, **dates)
    if request.GET.get("format") == "csv":
        return _access_report_csv(events, records)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [AccessRow(event, records_of_event(event, records)) for event in page]
    context = {"person": person, "form": form, "page": page, "rows": rows}
    return render(request, "people/access_report.html", context)


def _access_report_csv(events: QuerySet[AuditEvent], records: list[NamingRecord]) -> HttpResponse:
    response = csv_response("access-report.csv")
    writer = csv.writer(response)
    writer.writerow(["when", "who", "action", "record", "fields"])
    for event in events:
        who = event.actor.username if event.actor else ""
        writer.writerow(
            [
                event.at.isoformat(),
                safe_cell(who),
                event.get_action_display(),
                safe_cell("; ".join(records_of_event(event, records))),
                " ".join(event.fields),
            ]
        )
    return response


@access(Access.ADMINISTRATOR)
def grant_list(request: AuthenticatedHttpRequest) -> HttpResponse:
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


@access(Access.ADMINISTRATOR, of=get_grant_for_user)
@require_POST
def grant_revoke(request: AuthenticatedHttpRequest, found: GrantAccess) -> HttpResponse:
    services.grant_revoke(grant=found.grant, by=request.user)
    messages.success(request, _("Access revoked."))
    return redirect("people:grants")


@access(Access.ADMINISTRATOR, of=get_person_for_user)
def person_erase(request: AuthenticatedHttpRequest, found: PersonAccess) -> HttpResponse:
    """Ask for erasure; a second administrator approves it on the erasures page."""
    person = found.person
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
def erasure_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    requests = ErasureRequest.objects.select_related("person", "requested_by", "approved_by")
    pending = requests.filter(pk__in=pending_erasures().values("pk"))
    context = {
        # Each with whether this administrator may approve it: the template does not work it out.
        "pending": [erasure_access(request.user, erasure) for erasure in pending],
        "done": requests.exclude(pk__in=pending_erasures().values("pk"))[:PAGE_SIZE],
    }
    return render(request, "people/erasure_list.html", context)


@access(Access.ADMINISTRATOR, of=get_erasure_for_user)
@require_POST
def erasure_approve(request: AuthenticatedHttpRequest, found: ErasureAccess) -> HttpResponse:
    if not found.may_approve:
        messages.error(
            request, _("You asked for this erasure: another administrator must approve it.")
        )
    else:
        services.erasure_approve(request=found.erasure, by=request.user)
        messages.success(request, _("The person was erased."))
    return redirect("people:erasures")


@access(Access.ADMINISTRATOR, of=get_erasure_for_user)
@require_POST
def erasure_cancel(request: AuthenticatedHttpRequest, found: ErasureAccess) -> HttpResponse:
    services.erasure_cancel(request=found.erasure, by=request.user)
    messages.success(request, _("Erasure request cancelled."))
    return redirect("people:erasures")


@access(Access.ADMINISTRATOR)
@require_safe
def person_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every person as CSV. Identity columns only for people the administrator holds an active
    grant for: exporting identities in bulk is a separate, deliberate decision. Each exported
    person gets an export event, so it shows in their access report."""
    people = list(people_visible_to(request.user).order_by(Lower("alias")))
    covered = granted_among(request.user, people)  # whose identities go with it
    response = csv_response("people.csv")
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


@access(Access.STAFF)
@require_POST
@sensitive_post_parameters("q")
def person_pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The people whose alias matches what was typed, among those forms offer (neither archived
    nor erased), for a picker (see safespaces.pickers). Aliases only: nothing is decrypted."""
    return matches_response(
        request, Person, lambda query: person_matches(people_for_picking(), query)
    )
