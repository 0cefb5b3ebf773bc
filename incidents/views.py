import logging
from functools import partial
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language_bidi, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from allies.selectors import actor_visible, actors_visible_to, may_see_all_actors
from incidents import services
from incidents.attachments import download_name, file_read
from incidents.export import csv_lines, export_columns, export_rows, exported_records
from incidents.forms import (
    AssessmentForm,
    AttachmentForm,
    CorrectionForm,
    EntryForm,
    IncidentFilterForm,
    IncidentForm,
    ReviewForm,
    StatusForm,
)
from incidents.models import Incident, Review, ThreatAssessment, TimelineEntry
from incidents.patterns import WINDOW, patterns_in, with_names
from incidents.selectors import (
    FREQUENT_REPORTS,
    AttachmentAccess,
    IncidentAccess,
    IncidentLine,
    assessment_of,
    frequent_reporters,
    get_attachment_for_user,
    get_incident_for_user,
    incident_matches,
    incident_sight,
    incidents_visible_to,
    linkable_incidents,
    linked_from,
    links_of,
    may_analyse,
    pattern_suggestions,
    reviews_of,
    timeline_of,
    welfare_pending,
)
from incidents.timeline import timeline_page
from incidents.trends import MAX_MONTHS, period_between, trends_of
from safespaces.access import Access, AuthenticatedHttpRequest, access, forbidden
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_export, audit_list, audit_record, audit_view
from safespaces.crypto.cipher import DecryptionError
from safespaces.drafts.services import draft_discard, draft_of, draft_save, keeps_draft
from safespaces.editing import edit_saved
from safespaces.pickers import find_in, matches_response, require_safe_or_find, searched_form
from safespaces.uploads import upload_refused

logger = logging.getLogger(__name__)
GET_OR_POST = ["GET", "HEAD", "POST"]
PAGE_SIZE = 25


@access(Access.COORDINATOR)
@require_POST
@sensitive_post_parameters("q")
def incident_pick(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The incidents the user may link (see linkable_incidents) matching what was typed, for
    the pickers of the risk forms (see safespaces.pickers)."""
    return matches_response(
        request, Incident, lambda query: incident_matches(linkable_incidents(request.user), query)
    )


@access(Access.STAFF)
@require_safe_or_find
@sensitive_post_parameters()
def incident_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The organization's timeline: every incident the user may see, newest first, by month.
    A POST is a filter's "Find" (see safespaces.pickers.find_in): it changes nothing."""
    form = IncidentFilterForm(request.GET or None, user=request.user)
    find_in(form, request)
    incidents = form.filter(incidents_visible_to(request.user))
    # Pages go by the code of the incident at their edge (see incidents.timeline), not numbers.
    page = timeline_page(incidents, older=request.GET.get("older"), newer=request.GET.get("newer"))
    context = {"form": form, "page": page, "may_analyse": may_analyse(request.user)}
    return render(request, "incidents/incident_list.html", context)


@access(Access.STAFF)
@require_http_methods(GET_OR_POST)
@keeps_draft
@sensitive_post_parameters()
def incident_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Log an incident. "Save and finish later" keeps a draft on the server, as does a session
    that expires while the form is open (see safespaces.drafts)."""
    draft = draft_of(user=request.user, form=services.LOG_FORM)
    if request.method == "POST" and "save_draft" in request.POST:
        draft_save(user=request.user, form=services.LOG_FORM, data=request.POST)
        messages.success(request, _("Your draft is saved. Open “Log an incident” to finish it."))
        return redirect("home")
    if request.method == "POST" and "find" in request.POST:
        form = searched_form(IncidentForm, request.POST, user=request.user)
    elif request.method == "POST":
        form = IncidentForm(request.POST, user=request.user)
        if form.is_valid():
            incident = services.incident_report(
                incident=form.save(commit=False),
                affected_people=form.cleaned_data["affected_people"],
                shared_with=form.cleaned_data["shared_with"],
                by=request.user,
            )
            messages.success(
                request,
                _("Thank you. The incident is logged as %(reference)s.")
                % {"reference": incident.reference},
            )
            return redirect("incidents:detail", code=incident.pk)
    elif draft is not None:
        form = IncidentForm.from_draft(draft.data, user=request.user)
    else:
        form = IncidentForm(user=request.user)
    return render(request, "incidents/incident_form.html", {"form": form, "draft": draft})


@access(Access.STAFF)
@require_POST
def draft_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    draft_discard(user=request.user, form=services.LOG_FORM)
    messages.success(request, _("The draft was discarded."))
    return redirect("incidents:create")


def incident_context(request: AuthenticatedHttpRequest, found: IncidentAccess) -> dict[str, Any]:
    """What the incident page and its printable report both show, as the user may see it."""
    incident, analyse = found.incident, found.may_analyse
    context = {
        "incident": incident,
        "affected": incident.affected_people.only("id", "alias"),
        "shared_with": incident.shared_with.all(),
        # Staff see allies only; the source is read once, for the page that names it too.
        "source_visible": actor_visible(request.user, incident.source),
        "timeline": timeline_of(incident, request.user),
        "attachments": incident.attachments.only("id", "file_name", "size", "created_at"),
        "may_analyse": analyse,
    }
    if analyse:
        assessment = assessment_of(incident)
        links = links_of(request.user, assessment)[0] if assessment else []
        context |= {
            "assessment": assessment,
            "reviews": reviews_of(incident),
            # Pattern links both ways, to and from the incidents the user may see.
            "linked": [IncidentLine(other) for other in links],
            "linked_from": linked_from(request.user, incident),
        }
    return context


@access(Access.STAFF, of=get_incident_for_user)
@require_safe
def incident_detail(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    incident = found.incident
    # Every look at an account of what happened to someone is recorded.
    audit_view(request, incident)
    context = incident_context(request, found) | {
        "entry_form": EntryForm(
            with_engagements=found.may_link_engagements,
            action=reverse("incidents:entry_create", args=[incident.pk]),
        ),
        "status_form": StatusForm(initial={"status": incident.status}),
        "may_edit": found.may_edit,
    }
    return render(request, "incidents/incident_detail.html", context)


@access(Access.STAFF, of=get_incident_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def incident_edit(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    if not found.may_edit:
        return forbidden(request)
    incident = found.incident
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(IncidentForm, request.POST, user=request.user, instance=incident)
        audit_view(request, incident)
        context = {"form": searched, "incident": incident}
        return render(request, "incidents/incident_form.html", context)
    form = IncidentForm(request.POST or None, instance=incident, user=request.user)
    if edit_saved(
        request,
        form,
        save=lambda: services.incident_update(
            incident=form.save(commit=False),
            seen_version=form.seen_version,
            affected_people=form.cleaned_data["affected_people"],
            shared_with=form.cleaned_data["shared_with"],
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this incident"),
        success=_("The incident was saved."),
    ):
        return redirect("incidents:detail", code=incident.pk)
    audit_view(request, incident)
    return render(request, "incidents/incident_form.html", {"form": form, "incident": incident})


@access(Access.COORDINATOR, of=get_incident_for_user)
@require_POST
def incident_status(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    incident = found.incident
    form = StatusForm(request.POST)
    if form.is_valid():
        services.incident_set_status(
            incident=incident, status=form.cleaned_data["status"], by=request.user
        )
        messages.success(request, _("The status was changed."))
    else:
        messages.error(request, _("Choose a status from the list."))
    return redirect("incidents:detail", code=incident.pk)


@access(Access.STAFF, of=get_incident_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def entry_create(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    incident = found.incident
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(EntryForm, request.POST, with_engagements=found.may_link_engagements)
    else:
        form = EntryForm(request.POST or None, with_engagements=found.may_link_engagements)
    if form.is_bound and form.is_valid():
        services.entry_add(incident=incident, entry=form.save(commit=False), by=request.user)
        messages.success(request, _("Added to the timeline."))
        return redirect("incidents:detail", code=incident.pk)
    return render(request, "incidents/entry_form.html", {"form": form, "incident": incident})


@access(Access.STAFF, of=get_incident_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def entry_correct(
    request: AuthenticatedHttpRequest, found: IncidentAccess, entry: UUID
) -> HttpResponse:
    """Correct an entry with a new one that points at it: the timeline keeps both."""
    incident = found.incident
    original = get_object_or_404(incident.entries, pk=entry, kind__in=TimelineEntry.WRITTEN)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        correction = TimelineEntry(
            kind=original.kind, body=form.cleaned_data["body"], corrects=original
        )
        services.entry_add(incident=incident, entry=correction, by=request.user)
        messages.success(request, _("The correction was added."))
        return redirect("incidents:detail", code=incident.pk)
    context = {"form": form, "incident": incident, "original": original}
    return render(request, "incidents/entry_correct.html", context)


@access(Access.COORDINATOR)
@require_safe
def welfare_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Reporters who asked for someone to check in with them, oldest request first."""
    context = {
        "incidents": welfare_pending(request.user),
        "frequent": frequent_reporters(request.user),
        "frequent_after": FREQUENT_REPORTS,
    }
    return render(request, "incidents/welfare_list.html", context)


@access(Access.COORDINATOR, of=get_incident_for_user)
@require_POST
def welfare_mark_done(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    incident = found.incident
    if incident.welfare_pending:
        services.welfare_done(incident=incident, by=request.user)
        messages.success(request, _("Marked as checked in."))
    return redirect("incidents:welfare")


# --- Attachments -------------------------------------------------------------------------------


NOT_STORED = gettext_lazy(
    "The file could not be stored: the server may be out of disk space. Nothing was added. "
    "Try again later, and tell an administrator if it happens again."
)


@access(Access.STAFF, of=get_incident_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def attachment_create(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    """Add a photo, document or recording. It is checked, cleaned and sealed in memory, and only
    ciphertext is written (see incidents.attachments)."""
    incident = found.incident
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES, too_large=upload_refused(request))
        if form.is_valid():
            try:
                services.attachment_add(
                    incident=incident,
                    upload=form.cleaned_data["file"],
                    note=form.cleaned_data["note"],
                    name=form.cleaned_data["name"],
                    by=request.user,
                )
            except services.AttachmentNotStored:
                form.add_error("file", NOT_STORED)
                context = {"form": form, "incident": incident}
                # 503: the server's fault, and worth a retry later; nothing was kept.
                return render(request, "incidents/attachment_form.html", context, status=503)
            messages.success(request, _("The file was added to the timeline."))
            return redirect("incidents:detail", code=incident.pk)
    else:
        form = AttachmentForm()
    return render(request, "incidents/attachment_form.html", {"form": form, "incident": incident})


@access(Access.STAFF, of=get_attachment_for_user)
@require_safe
def attachment_download(request: AuthenticatedHttpRequest, found: AttachmentAccess) -> HttpResponse:
    """The decrypted file, as a download only, and a record of who took it."""
    attachment = found.attachment
    data = file_read(attachment)
    audit_record(action=AuditEvent.Action.DOWNLOAD, actor=request.user, target=attachment)
    response = HttpResponse(data, content_type=attachment.content_type)
    # The name is the uploader's words: content_disposition_header quotes or percent-encodes it,
    # so it cannot end the header or add one. It answers None only for an inline file with no
    # name, never for a download.
    disposition = content_disposition_header(True, download_name(attachment))
    response["Content-Disposition"] = disposition or "attachment"
    # Set here as well as by the middleware: a copy of evidence must never stay in a cache, the
    # browser must take the checked type as it is, and a file opened anyway runs nothing.
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Threat assessment and team review ---------------------------------------------------------


@access(Access.COORDINATOR, of=get_incident_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def assessment_edit(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    """The five steps of assessing a threat, on any incident: one assessment per incident,
    brought up to date as the team learns more."""
    incident = found.incident
    assessment = assessment_of(incident) or ThreatAssessment()
    assessment.incident = incident
    first = assessment._state.adding
    suggestions = pattern_suggestions(request.user, incident)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(
            AssessmentForm,
            request.POST,
            instance=assessment,
            user=request.user,
            suggestions=suggestions,
        )
        audit_view(request, incident if first else assessment)
        context = {"form": searched, "incident": incident, "first": first}
        return render(request, "incidents/assessment_form.html", context)
    form = AssessmentForm(
        request.POST or None, instance=assessment, user=request.user, suggestions=suggestions
    )
    if edit_saved(
        request,
        form,
        save=lambda: services.assessment_save(
            assessment=form.save(commit=False),
            seen_version=None if first else form.seen_version,
            linked=form.cleaned_data["linked_incidents"],
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this assessment"),
        success=_("The threat assessment was saved."),
    ):
        return redirect("incidents:detail", code=incident.pk)
    # The form shows the assessment, or the incident's account for a first one.
    audit_view(request, incident if first else assessment)
    context = {"form": form, "incident": incident, "first": first}
    return render(request, "incidents/assessment_form.html", context)


@access(Access.COORDINATOR, of=get_incident_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def review_create(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    """The team looked at the incident together: when, who, and what it decided."""
    incident = found.incident
    review = Review(incident=incident)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(ReviewForm, request.POST, instance=review, user=request.user)
        return render(request, "incidents/review_form.html", {"form": form, "incident": incident})
    form = ReviewForm(request.POST or None, instance=review, user=request.user)
    if request.method == "POST" and form.is_valid():
        services.review_record(
            review=form.save(commit=False),
            participants=form.cleaned_data["participants"],
            by=request.user,
        )
        messages.success(request, _("The review was recorded."))
        return redirect("incidents:detail", code=incident.pk)
    return render(request, "incidents/review_form.html", {"form": form, "incident": incident})


# --- Export and printable report ---------------------------------------------------------------


def _back_to_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The incident list with the filters the export was asked with."""
    return redirect(f"{reverse('incidents:list')}?{request.GET.urlencode()}".rstrip("?"))


@access(Access.STAFF)
@require_safe
def incident_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """The incidents the user may see, filtered as on the list, as a CSV file. What people
    wrote goes with it only for coordinators and administrators."""
    form = IncidentFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        # A filter that does not apply would export the whole book: show what is wrong instead.
        messages.error(request, _("Check the filters: nothing was exported."))
        return _back_to_list(request)
    incidents = form.filter(incidents_visible_to(request.user))
    try:
        rows = export_rows(request.user, incidents)
    except DecryptionError:
        # Never part of a file: nothing is sent. Which values fail, verify_encryption lists.
        logger.error("Incident export refused: a stored value could not be decrypted")
        messages.error(
            request,
            _(
                "Nothing was exported: some of the records could not be decrypted. "
                "Tell an administrator."
            ),
        )
        return _back_to_list(request)
    # Recorded before the first byte leaves: the request's transaction commits it when this
    # view returns, so a download cut short is on record too. It names every incident and
    # every person affected, so their access reports find it.
    audit_export(
        request,
        object_type="incidents.incident",
        fields=export_columns(request.user),
        records=exported_records(incidents),
    )
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    filename = f"incidents-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@access(Access.STAFF, of=get_incident_for_user)
@require_safe
def incident_report(request: AuthenticatedHttpRequest, found: IncidentAccess) -> HttpResponse:
    """One incident on paper, with everything the user may see of it. A printout leaves the
    app, so opening the page is recorded as an export."""
    audit_view(request, found.incident, action=AuditEvent.Action.EXPORT)
    context = incident_context(request, found) | {"printed_at": timezone.now()}
    return render(request, "incidents/incident_report.html", context)


# --- Trends and patterns -----------------------------------------------------------------------


@access(Access.STAFF)
@require_safe_or_find
@sensitive_post_parameters()
def trends(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Counts of the incidents the user may see, by month, place, source, severity and time to
    review: charts drawn on the server, each with its figures in a table beneath. A POST is a
    filter's "Find" (see safespaces.pickers.find_in): it changes nothing."""
    form = IncidentFilterForm(request.GET or None, user=request.user, max_months=MAX_MONTHS)
    find_in(form, request)
    dates = form.cleaned_data if form.is_valid() else {}
    period = period_between(dates.get("since"), dates.get("until"), today=timezone.localdate())
    found = trends_of(
        incident_sight(request.user),
        narrow=partial(form.filter, dates=False),
        period=period,
        actors=actors_visible_to(request.user),
        rtl=get_language_bidi(),
    )
    context = {"form": form, "trends": found, "sees_all_actors": may_see_all_actors(request.user)}
    return render(request, "incidents/trends.html", context)


@access(Access.COORDINATOR)
@require_safe
def patterns(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Incidents linked by a threat assessment, or by place and source close in time."""
    visible = incidents_visible_to(request.user)
    page = Paginator(patterns_in(visible), PAGE_SIZE).get_page(request.GET.get("page"))
    # Summaries and names are decrypted for the patterns on this page only; the response's
    # audit event names every incident whose summary it shows.
    audit_list(request, object_type="incidents.incident")
    page.object_list = with_names(
        list(page.object_list),
        incidents=visible,
        actors=actors_visible_to(request.user),
        hidden_source=_("A source you may not see"),
    )
    return render(request, "incidents/patterns.html", {"page": page, "window": WINDOW.days})
