"""Field check-ins: start one, check in or ask for more time or for help, and, for the watchers,
acknowledge an alarm, note the calls made and close it. Lists show who and when, never what or
where; a check-in's own page shows everything. Every response that decrypts something is recorded
(safespaces.audit.disclosure)."""

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from checkins import services
from checkins.forms import CloseForm, MoreTimeForm, NoteForm, StartForm
from checkins.models import CheckIn
from checkins.selectors import CheckInAccess, check_ins_visible_to, get_check_in_for_user
from incidents.models import Kind as IncidentKind
from incidents.services import LOG_FORM
from riskassessment.models import RiskSituation
from riskassessment.selectors import SituationAccess, get_situation_for_user
from safespaces.access import Access, AuthenticatedHttpRequest, access, forbidden
from safespaces.audit.services import audit_view
from safespaces.drafts.services import draft_of, draft_save
from safespaces.pickers import searched_form

RECENTLY_CLOSED = 20


def _when(moment: datetime) -> str:
    return formats.time_format(timezone.localtime(moment), "H:i")


@access(Access.STAFF)
@require_safe
def check_in_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's check-ins, those they watch and, for coordinators, every alarm: who and when,
    no place or activity."""
    visible = check_ins_visible_to(request.user).select_related("person")
    context = {
        "open": visible.exclude(status=CheckIn.Status.CLOSED).order_by("due_at"),
        "closed": visible.filter(status=CheckIn.Status.CLOSED).order_by("-closed_at")[
            :RECENTLY_CLOSED
        ],
    }
    return render(request, "checkins/check_in_list.html", context)


def _start(request: AuthenticatedHttpRequest, situation: RiskSituation | None) -> HttpResponse:
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(StartForm, request.POST, user=request.user, situation=situation)
        return render(request, "checkins/start.html", {"form": searched, "situation": situation})
    form = StartForm(
        request.POST if request.method == "POST" else None, user=request.user, situation=situation
    )
    if form.is_valid():
        data = form.cleaned_data
        check_in = services.check_in_start(
            person=request.user,
            activity=data["activity"],
            place=data["place"],
            company=data["company"],
            due_at=data["by"],
            every_minutes=data["every"],
            grace_minutes=data["grace_minutes"],
            watchers=data["watchers"],
            situation=situation,
        )
        messages.success(
            request,
            _("Check-in started. Check in by %(time)s on your home page.")
            % {"time": _when(check_in.due_at)},
        )
        return redirect("home")
    return render(request, "checkins/start.html", {"form": form, "situation": situation})


@access(Access.STAFF)
@sensitive_post_parameters("activity", "company")
@require_http_methods(["GET", "HEAD", "POST"])
def start(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _start(request, None)


@access(Access.STAFF, of=get_situation_for_user)
@sensitive_post_parameters("activity", "company")
@require_http_methods(["GET", "HEAD", "POST"])
def start_for_situation(request: AuthenticatedHttpRequest, found: SituationAccess) -> HttpResponse:
    """Started from a safety plan: its place, who to check in with and its grace period filled
    in. Showing the plan's title is showing a decrypted value: recorded."""
    audit_view(request, found.situation)
    return _start(request, found.situation)


@access(Access.STAFF, of=get_check_in_for_user)
@require_safe
def detail(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    return _detail_with(request, found)


# --- The person out in the field ---------------------------------------------------------------


CheckInView = Callable[[AuthenticatedHttpRequest, CheckInAccess], HttpResponse]


def _only(may: Callable[[CheckInAccess], bool]) -> Callable[[CheckInView], CheckInView]:
    """Refuse (403) whoever sees the check-in but may not do this with it; and answer a change
    that no longer fits (closed meanwhile, by someone else or by its deadline) with where the
    check-in stands now."""

    def decorate(view: CheckInView) -> CheckInView:
        @wraps(view)
        def checked(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
            if not may(found):
                return forbidden(request)
            try:
                return view(request, found)
            except services.NotNow:
                messages.warning(
                    request, _("This check-in has changed meanwhile: here is where it stands.")
                )
                return redirect("checkins:detail", found.check_in.pk)

        return checked

    return decorate


def _theirs(found: CheckInAccess) -> bool:
    return found.is_theirs


def _responder(found: CheckInAccess) -> bool:
    return found.may_respond


@access(Access.STAFF, of=get_check_in_for_user)
@require_POST
@_only(_theirs)
def safe(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    check_in = services.check_in_safe(check_in=found.check_in, by=request.user)
    if check_in.status == CheckIn.Status.ACTIVE:
        messages.success(
            request,
            _("Thank you: the team knows you are safe. Next check-in by %(time)s.")
            % {"time": _when(check_in.due_at)},
        )
    else:
        messages.success(request, _("Thank you: the team knows you are safe. Check-in ended."))
    return redirect("home")


@access(Access.STAFF, of=get_check_in_for_user)
@require_POST
@_only(_theirs)
def more_time(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    form = MoreTimeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how much more time you need."))
        return redirect("home")
    check_in = services.check_in_extend(
        check_in=found.check_in, by=request.user, minutes=form.cleaned_data["minutes"]
    )
    messages.success(request, _("Check in by %(time)s now.") % {"time": _when(check_in.due_at)})
    return redirect("home")


@access(Access.STAFF, of=get_check_in_for_user)
@require_POST
@_only(_theirs)
def end(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    services.check_in_end(check_in=found.check_in, by=request.user)
    messages.success(request, _("Check-in ended. Thank you: the team knows you are safe."))
    return redirect("home")


@access(Access.STAFF, of=get_check_in_for_user)
@require_POST
@_only(_theirs)
def help_now(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    services.check_in_help(check_in=found.check_in, by=request.user)
    messages.warning(
        request,
        _("Your watchers and the coordinators were alerted. If you can, call emergency services."),
    )
    return redirect("home")


# --- The watchers ------------------------------------------------------------------------------


@access(Access.STAFF, of=get_check_in_for_user)
@require_POST
@_only(_responder)
def acknowledge(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    services.check_in_acknowledge(check_in=found.check_in, by=request.user)
    messages.success(request, _("Acknowledged: the alert will not go further. Note your calls."))
    return redirect("checkins:detail", found.check_in.pk)


@access(Access.STAFF, of=get_check_in_for_user)
@sensitive_post_parameters("note")
@require_POST
@_only(_responder)
def note(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        services.check_in_note(
            check_in=found.check_in, by=request.user, note=form.cleaned_data["note"]
        )
        messages.success(request, _("Added to the check-in's timeline."))
        return redirect("checkins:detail", found.check_in.pk)
    return _detail_with(request, found, note_form=form)


@access(Access.STAFF, of=get_check_in_for_user)
@sensitive_post_parameters("note")
@require_POST
@_only(_responder)
def close(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    """Close the alarm. "Not reached" goes on to the incident form, filled in from the check-in:
    one tap from the alarm to the record the team acts on."""
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _detail_with(request, found, close_form=form)
    check_in = services.check_in_close(
        check_in=found.check_in,
        by=request.user,
        outcome=CheckIn.Outcome(form.cleaned_data["outcome"]),
        note=form.cleaned_data["note"],
    )
    if check_in.outcome == CheckIn.Outcome.NOT_REACHED:
        return _incident_prefilled(request, check_in)
    messages.success(request, _("Closed: reached, safe. Everyone alerted was told."))
    return redirect("checkins:detail", check_in.pk)


@access(Access.STAFF, of=get_check_in_for_user)
@require_POST
@_only(_responder)
def log_incident(request: AuthenticatedHttpRequest, found: CheckInAccess) -> HttpResponse:
    return _incident_prefilled(request, found.check_in)


def _detail_with(
    request: AuthenticatedHttpRequest,
    found: CheckInAccess,
    *,
    note_form: NoteForm | None = None,
    close_form: CloseForm | None = None,
) -> HttpResponse:
    """The check-in's page; after a form with a mistake, with that form and what was typed."""
    check_in = found.check_in
    audit_view(request, check_in)
    context = {
        "found": found,
        "check_in": check_in,
        "entries": check_in.entries.select_related("by"),
        "watchers": check_in.watchers.all(),
        "more_time": MoreTimeForm(),
        "note_form": note_form or NoteForm(),
        "close_form": close_form or CloseForm(),
    }
    status = 400 if note_form or close_form else 200
    return render(request, "checkins/check_in_detail.html", context, status=status)


def _incident_prefilled(request: AuthenticatedHttpRequest, check_in: CheckIn) -> HttpResponse:
    """Fill in the incident form from the check-in, through the user's server-side draft: nothing
    of it travels in the URL. An unsent incident already in the draft is kept, never replaced."""
    if draft_of(user=request.user, form=LOG_FORM) is not None:
        messages.warning(
            request,
            _(
                "You have an incident form you have not sent yet: finish or discard it, then log "
                "this one from the check-in's page."
            ),
        )
        return redirect(LOG_FORM)
    draft_save(user=request.user, form=LOG_FORM, data=incident_draft(check_in))
    messages.info(request, _("Filled in from the check-in. Check it, add what you know, and send."))
    return redirect(LOG_FORM)


def incident_draft(check_in: CheckIn) -> QueryDict:
    due = timezone.localtime(check_in.due_at)
    lines = [_("Check-in: %(activity)s") % {"activity": check_in.activity}]
    if check_in.company:
        lines.append(_("With: %(company)s") % {"company": check_in.company})
    for entry in check_in.entries.select_related("by"):
        when = _when(entry.at)
        who = entry.by.shown_name if entry.by else _("SafeSpaces")
        lines.append(f"{when} {who}: {entry.get_kind_display()}. {entry.note}".rstrip())
    data = QueryDict(mutable=True)
    data.update(
        {
            "kind": IncidentKind.INCIDENT,
            "occurred_on": due.date().isoformat(),
            "occurred_time": due.strftime("%H:%M"),
            "approximate": "on",
            "summary": _("Not reached after a missed check-in"),
            "description": "\n".join(lines),
            "welfare_follow_up": "on",
        }
    )
    if check_in.place_id:
        data["place"] = str(check_in.place_id)
    return data
