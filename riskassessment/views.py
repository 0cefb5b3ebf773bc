from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from riskassessment import services
from riskassessment.forms import (
    ITEM_FORMSETS,
    PRESETS,
    AlternativeFormSet,
    DecisionForm,
    MeasureForm,
    MeasureStatusForm,
    RatingForm,
    RegisterFilterForm,
    SituationForm,
    StartForm,
    VersionForm,
)
from riskassessment.heatmap import heat_map
from riskassessment.models import Assessment, Measure, RiskSituation
from riskassessment.scoring import explanation
from riskassessment.selectors import (
    AssessmentAccess,
    MeasureAccess,
    ShownThreats,
    SituationAccess,
    assessment_access,
    assessments_of,
    due_of,
    due_reasons,
    emergency_contacts,
    get_assessment_for_user,
    get_measure_for_user,
    get_situation_for_user,
    may_assess,
    measures_of,
    participants_of,
    parts_of,
    register_of,
    situation_due,
    threats_of,
)
from safespaces.access import Access, AuthenticatedHttpRequest, access, forbidden
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_view
from safespaces.editing import (
    EditConflict,
    ListChoices,
    RowDifferences,
    conflict_message,
    edit_base_keep,
    edit_saved,
    rows_base_keep,
    rows_merged,
)
from safespaces.navigation import object_links_for
from safespaces.pickers import find_in, require_safe_or_find, searched_form, searched_formset

GET_OR_POST = ["GET", "HEAD", "POST"]
PAGE_SIZE = 25


def _posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST, even an empty one: `request.POST or None` would show an empty
    submission as a fresh form, without saying what is missing."""
    return request.POST if request.method == "POST" else None


def _latest(situation: RiskSituation) -> Assessment | None:
    return situation.assessments.order_by("-number").first()


# --- Register and situations -------------------------------------------------------------------


@access(Access.COORDINATOR)
@require_safe_or_find
@sensitive_post_parameters()
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every current situation with its levels before and after measures, the trend since the
    version before, and whether it is due for reassessment. A POST is a filter's "Find" (see
    safespaces.pickers.find_in): it changes nothing."""
    form = RegisterFilterForm(request.GET or None)
    find_in(form, request)
    situations = form.filter(register_of(request.user), request.user)
    page = Paginator(situations, PAGE_SIZE).get_page(request.GET.get("page"))
    # The reassessment rules run for the situations on this page only.
    shown = due_of(page.object_list, request.user)
    rows = [(situation, due_reasons(situation)) for situation in shown]
    context = {"form": form, "page": page, "rows": rows, "presets": PRESETS}
    return render(request, "riskassessment/register.html", context)


@access(Access.COORDINATOR)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def situation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new situation; `?preset=burnout` starts from one of the guide's organizational risks."""
    if request.method == "POST" and "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(SituationForm, request.POST, user=request.user)
    elif request.method == "POST":
        form = SituationForm(request.POST, user=request.user)
        if form.is_valid():
            situation = services.situation_create(
                situation=form.save(commit=False),
                participants=form.cleaned_data["participants"],
                people=form.cleaned_data["people"],
                incidents=form.cleaned_data["incidents"],
                by=request.user,
            )
            messages.success(request, _("The situation was added. Now assess it."))
            return redirect("riskassessment:assessment_start", code=situation.pk)
    else:
        initial = SituationForm.initial_from_preset(request.GET.get("preset", ""))
        form = SituationForm(initial=initial, user=request.user)
    return render(request, "riskassessment/situation_form.html", {"form": form})


@access(Access.COORDINATOR, of=get_situation_for_user)
@require_safe
def situation_detail(request: AuthenticatedHttpRequest, found: SituationAccess) -> HttpResponse:
    """The latest assessment of a situation: scores, heat map, the sentence that explains them,
    the decision, the measures, and every earlier version."""
    situation = found.situation
    audit_view(request, situation)
    versions = assessments_of(situation)
    latest = versions[0] if versions else None
    context: dict[str, Any] = {
        "situation": situation,
        "versions": versions,
        "latest": latest,
        "participants": list(participants_of(situation)),
        "people": list(situation.people.only("id", "alias")),
    }
    context |= (
        assessment_context(request, assessment_access(request.user, latest, versions=versions))
        if latest
        else {"measures": measures_of(situation, request.user, credible=False)}
    )
    # The due rules look at the threats, people and participants the page has just read.
    context["due"] = situation_due(
        situation,
        request.user,
        versions,
        threats=context["parts"].threats if latest else [],
        people=context["people"],
        participants=context["participants"],
    )
    return render(request, "riskassessment/situation_detail.html", context)


def assessment_context(
    request: AuthenticatedHttpRequest, found: AssessmentAccess
) -> dict[str, Any]:
    """What a page about one version shows: its parts, heat maps and explanations."""
    assessment = found.assessment
    parts = parts_of(assessment, request.user)
    credible = bool(parts.credible)
    inherent, residual = assessment.inherent, assessment.residual
    rtl = get_language_bidi()
    return {
        "assessment": assessment,
        "parts": parts,
        "credible": credible,
        "inherent_explained": explanation(inherent, credible_threat=credible) if inherent else "",
        "residual_explained": explanation(residual, credible_threat=credible)
        if residual and assessment.residual_is_rated
        else "",
        "heat_map": heat_map(parts.threats, residual=False, rtl=rtl),
        "residual_heat_map": heat_map(parts.threats, residual=True, rtl=rtl),
        "residual_rated": any(threat.residual_is_rated for threat in parts.threats),
        "rtl": rtl,
        "measures": measures_of(assessment.situation, request.user, credible=credible),
        "may_approve": found.may_approve,
    }


@access(Access.COORDINATOR, of=get_situation_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def situation_edit(request: AuthenticatedHttpRequest, found: SituationAccess) -> HttpResponse:
    situation = found.situation
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(SituationForm, request.POST, instance=situation, user=request.user)
        audit_view(request, situation)
        context = {"form": searched, "situation": situation}
        return render(request, "riskassessment/situation_form.html", context)
    form = SituationForm(_posted(request), instance=situation, user=request.user)
    if edit_saved(
        request,
        form,
        save=lambda: services.situation_update(
            situation=form.save(commit=False),
            seen_version=form.seen_version,
            participants=form.cleaned_data["participants"],
            people=form.cleaned_data["people"],
            incidents=form.cleaned_data["incidents"],
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this situation"),
        success=_("The situation was saved."),
    ):
        return redirect("riskassessment:detail", code=situation.pk)
    audit_view(request, situation)
    context = {"form": form, "situation": situation}
    return render(request, "riskassessment/situation_form.html", context)


# --- Assessments -------------------------------------------------------------------------------


@access(Access.COORDINATOR, of=get_situation_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters("linked_incidents_find")
def assessment_start(request: AuthenticatedHttpRequest, found: SituationAccess) -> HttpResponse:
    """A new version: why now, and which incidents led to it. It starts from the last version's
    threats, vulnerabilities, capacities and ratings, to re-rate rather than retype."""
    situation = found.situation
    latest = _latest(situation)
    if latest is not None and not latest.is_decided:
        # One version at a time: a second would hide the first, its due reasons and any
        # approval still owed.
        messages.info(request, _("An assessment is already in progress: continue it."))
        return redirect("riskassessment:threats", code=latest.pk)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(StartForm, request.POST, user=request.user)
    else:
        form = StartForm(_posted(request), user=request.user)
    if form.is_bound and form.is_valid():
        assessment = services.assessment_start(
            situation=situation,
            trigger=form.cleaned_data["trigger"],
            linked=form.cleaned_data["linked_incidents"],
            by=request.user,
        )
        return redirect("riskassessment:threats", code=assessment.pk)
    context = {"form": form, "situation": situation, "latest": latest}
    return render(request, "riskassessment/assessment_start.html", context)


@access(Access.COORDINATOR, of=get_assessment_for_user)
@require_safe
def assessment_detail(request: AuthenticatedHttpRequest, found: AssessmentAccess) -> HttpResponse:
    """One version, as it was decided: the record of how the risk moved."""
    assessment = found.assessment
    audit_view(request, assessment)
    context = assessment_context(request, found) | {"situation": assessment.situation}
    return render(request, "riskassessment/assessment_detail.html", context)


def _editable(found: AssessmentAccess) -> Assessment:
    """An assessment still open for changes: the latest version, not decided yet. Any other
    version is a record: there is nothing to change at these addresses."""
    if not found.may_edit:
        raise Http404
    return found.assessment


ITEM_TITLES = {
    "threats": _("Threats"),
    "vulnerabilities": _("Vulnerabilities"),
    "capacities": _("Capacities"),
}
NEXT_STEP = {
    "threats": "riskassessment:vulnerabilities",
    "vulnerabilities": "riskassessment:capacities",
    "capacities": "riskassessment:ratings",
}


@access(Access.COORDINATOR, of=get_assessment_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def assessment_items(
    request: AuthenticatedHttpRequest, found: AssessmentAccess, part: str
) -> HttpResponse:
    """One list of the assessment: its threats, vulnerabilities or capacities, each with the
    gender and intersectional factors that shape it."""
    assessment = _editable(found)
    kwargs: dict[str, Any] = {
        "instance": assessment,
        "prefix": part,
        "form_kwargs": {"user": request.user, "assessment": assessment},
    }
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the rows again, as typed, with its matches.
        context = {
            "assessment": assessment,
            "situation": assessment.situation,
            "formset": searched_formset(ITEM_FORMSETS[part](request.POST, **kwargs), request.POST),
            "version": VersionForm(request.POST),
            "differences": [],
            "part": part,
            "title": ITEM_TITLES[part],
        }
        audit_view(request, assessment)
        return render(request, "riskassessment/assessment_items.html", context)
    posted = _posted(request)
    # After a conflict: the fields both editors changed, with "keep theirs" applied.
    choices = ListChoices(posted, ITEM_FORMSETS[part], **kwargs) if posted is not None else None
    data = choices.data if choices is not None else None
    version = VersionForm(data, initial={"version": assessment.version})
    formset = ITEM_FORMSETS[part](data, **kwargs)
    differences: list[RowDifferences] = []
    if choices is not None and version.is_valid():
        seen = version.cleaned_data["version"] or 0
        try:
            if seen != assessment.version:
                # A stale page merges even where it names a row that is gone.
                raise EditConflict
            if choices.unchosen:
                messages.error(
                    request, _("Choose which to keep: what they saved or what you typed.")
                )
                differences = choices.differences(formset)
            elif formset.is_valid():
                services.assessment_items_save(
                    assessment=assessment, formset=formset, seen_version=seen, by=request.user
                )
                if "add_more" in request.POST:
                    return redirect(f"riskassessment:{part}", code=assessment.pk)
                return redirect(NEXT_STEP[part], code=assessment.pk)
        except EditConflict:
            messages.error(request, conflict_message(_("this assessment")))
            data, differences = rows_merged(formset, seen_version=seen)
            version = VersionForm(data)
            formset = ITEM_FORMSETS[part](data, **kwargs)
    elif choices is None:
        rows_base_keep(formset)
    audit_view(request, assessment)
    context = {
        "assessment": assessment,
        "situation": assessment.situation,
        "formset": formset,
        "version": version,
        "differences": differences,
        "part": part,
        "title": ITEM_TITLES[part],
    }
    return render(request, "riskassessment/assessment_items.html", context)


@access(Access.COORDINATOR, of=get_assessment_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def assessment_rate(request: AuthenticatedHttpRequest, found: AssessmentAccess) -> HttpResponse:
    """Rate threat, vulnerability and capacity beside the lists that inform them, before and
    after the planned measures."""
    assessment = _editable(found)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(RatingForm, request.POST, instance=assessment, user=request.user)
        audit_view(request, assessment)
        context = {"form": searched, "assessment": assessment, "situation": assessment.situation}
        context["parts"] = parts_of(assessment, request.user)
        return render(request, "riskassessment/assessment_rate.html", context)
    form = RatingForm(_posted(request), instance=assessment, user=request.user)
    if edit_saved(
        request,
        form,
        save=lambda: services.assessment_rate(
            assessment=form.save(commit=False),
            seen_version=form.seen_version,
            linked=form.cleaned_data["linked_incidents"],
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this assessment"),
        success=_("The ratings were saved."),
    ):
        return redirect("riskassessment:decide", code=assessment.pk)
    audit_view(request, assessment)
    context = {"form": form, "assessment": assessment, "situation": assessment.situation}
    context["parts"] = parts_of(assessment, request.user)
    return render(request, "riskassessment/assessment_rate.html", context)


@access(Access.COORDINATOR, of=get_assessment_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def assessment_decide(request: AuthenticatedHttpRequest, found: AssessmentAccess) -> HttpResponse:
    """Is this risk worth the objective? The decision, why, until when, and the other ways
    considered, each with its estimated level."""
    assessment = _editable(found)
    posted = _posted(request)
    form = DecisionForm(posted, instance=assessment)
    kwargs: dict[str, Any] = {"instance": assessment, "prefix": "alternatives"}
    # After a conflict: the alternatives both editors changed, with "keep theirs" applied.
    choices = ListChoices(posted, AlternativeFormSet, **kwargs) if posted is not None else None
    alternatives = AlternativeFormSet(choices.data if choices is not None else None, **kwargs)
    differences: list[RowDifferences] = []

    def decide() -> None:
        services.assessment_decide(
            assessment=form.save(commit=False),
            seen_version=form.seen_version,
            changed=form.changed_fields,
            by=request.user,
        )
        services.alternatives_save(formset=alternatives, by=request.user)

    if choices is None:
        # Opening the page: what it shows is the ancestor of a merge (edit_saved is not reached).
        edit_base_keep(assessment)
        rows_base_keep(alternatives)
    elif choices.unchosen:
        messages.error(request, _("Choose which to keep: what they saved or what you typed."))
        differences = choices.differences(alternatives)
    if (
        request.method == "POST"
        and not (choices is not None and choices.unchosen)
        and alternatives.is_valid()
        and edit_saved(request, form, save=decide, thing=_("this assessment"), success=None)
    ):
        # Worded here: it depends on the decision just saved.
        if assessment.needs_approval:
            messages.success(
                request,
                _(
                    "The decision is recorded. The risk stays high after the measures, so "
                    "another coordinator or an administrator must approve it."
                ),
            )
        else:
            messages.success(request, _("The decision is recorded."))
        return redirect("riskassessment:detail", code=assessment.situation_id)
    if form.conflicted:
        # The alternatives share the assessment's version: merge them too, row by row.
        data, differences = rows_merged(alternatives, seen_version=form.seen_version)
        alternatives = AlternativeFormSet(data, **kwargs)
        # One `conflicts` field for the page: the decision's fields and the alternatives' keys.
        merged = cast(QueryDict, form.data)
        keys = [str(merged.get("conflicts") or ""), str(data.get("conflicts") or "")]
        merged["conflicts"] = " ".join(keys).strip()
    audit_view(request, assessment)
    context = assessment_context(request, found) | {
        "form": form,
        "alternatives": alternatives,
        "differences": differences,
        "situation": assessment.situation,
    }
    return render(request, "riskassessment/assessment_decide.html", context)


@access(Access.COORDINATOR, of=get_assessment_for_user)
@require_POST
def assessment_approve(request: AuthenticatedHttpRequest, found: AssessmentAccess) -> HttpResponse:
    """The second pair of eyes on a high or critical residual risk: never the person who
    decided."""
    assessment = found.assessment
    if not found.may_approve:
        return forbidden(request)
    try:
        services.assessment_approve(assessment=assessment, by=request.user)
    except services.ApprovalRefused:
        return forbidden(request)
    messages.success(request, _("You approved the decision."))
    return redirect("riskassessment:detail", code=assessment.situation_id)


# --- Measures ----------------------------------------------------------------------------------


@access(Access.COORDINATOR, of=get_situation_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def measure_create(request: AuthenticatedHttpRequest, found: SituationAccess) -> HttpResponse:
    situation = found.situation
    measure = Measure(situation=situation)
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        form = searched_form(MeasureForm, request.POST, instance=measure, latest=_latest(situation))
    else:
        form = MeasureForm(_posted(request), instance=measure, latest=_latest(situation))
    if form.is_bound and form.is_valid():
        services.measure_add(measure=form.save(commit=False), by=request.user)
        messages.success(request, _("The measure was added."))
        return redirect("riskassessment:detail", code=situation.pk)
    context = {"form": form, "situation": situation}
    return render(request, "riskassessment/measure_form.html", context)


@access(Access.COORDINATOR, of=get_measure_for_user)
@require_http_methods(GET_OR_POST)
@sensitive_post_parameters()
def measure_edit(request: AuthenticatedHttpRequest, found: MeasureAccess) -> HttpResponse:
    measure = found.measure
    situation = measure.situation
    if "find" in request.POST:
        # A picker's "Find", without JavaScript: the form again, with its matches.
        searched = searched_form(
            MeasureForm, request.POST, instance=measure, latest=_latest(situation)
        )
        audit_view(request, measure)
        context = {"form": searched, "situation": situation, "measure": measure}
        return render(request, "riskassessment/measure_form.html", context)
    form = MeasureForm(_posted(request), instance=measure, latest=_latest(situation))
    if edit_saved(
        request,
        form,
        save=lambda: services.measure_update(
            measure=form.save(commit=False),
            seen_version=form.seen_version,
            changed=form.changed_fields,
            by=request.user,
        ),
        thing=_("this measure"),
        success=_("The measure was saved."),
    ):
        return redirect("riskassessment:detail", code=situation.pk)
    audit_view(request, measure)
    context = {"form": form, "situation": situation, "measure": measure}
    return render(request, "riskassessment/measure_form.html", context)


@access(Access.STAFF, of=get_measure_for_user)
@require_POST
def measure_status(request: AuthenticatedHttpRequest, found: MeasureAccess) -> HttpResponse:
    """The owner, or a coordinator, marks a measure in progress or done."""
    if not found.may_update:
        return forbidden(request)
    measure = found.measure
    form = MeasureStatusForm(request.POST)
    if form.is_valid():
        services.measure_set_status(
            measure=measure, status=form.cleaned_data["status"], by=request.user
        )
        messages.success(request, _("The measure was updated."))
    else:
        messages.error(request, _("Choose a status from the list."))
    # Coordinators, who edit measures, go back to the situation's page; staff, who see its plan
    # only, go home.
    if found.may_edit and request.POST.get("back") == "situation":
        return redirect("riskassessment:detail", code=measure.situation_id)
    return redirect("home")


# --- Safety plan -------------------------------------------------------------------------------


@access(Access.STAFF, of=get_situation_for_user)
@require_safe
def safety_plan(request: AuthenticatedHttpRequest, found: SituationAccess) -> HttpResponse:
    """The plan for an activity, on paper: objective, decision, top risks, measures with
    owners, check-ins, and the allies to call for the place. Printing it takes it out of the
    app, so opening it is recorded as an export."""
    situation = found.situation
    audit_view(request, situation, action=AuditEvent.Action.EXPORT)
    # The plan follows the last decision: a reassessment in progress does not count yet.
    latest = situation.assessments.exclude(decision="").order_by("-number").first() or _latest(
        situation
    )
    shown = threats_of(latest, request.user) if latest else ShownThreats()
    credible = bool(shown.credible)
    top_threats = sorted(shown.threats, key=lambda t: (t.residual_score, t.score), reverse=True)[:5]
    context = {
        "situation": situation,
        "latest": latest,
        "top_threats": top_threats,
        "credible": credible,
        "measures": [
            m
            for m in measures_of(situation, request.user, credible=credible)
            if m.status != Measure.Status.DROPPED
        ],
        "participants": situation.participants.all(),
        "people": situation.people.only("id", "alias"),
        **emergency_contacts(situation.place),
        "may_see_gaps": may_assess(request.user),
        "printed_at": timezone.now(),
        # "Start this check-in", added by the check-ins app above this one.
        "plan_links": object_links_for(request, "situation", situation.pk),
    }
    return render(request, "riskassessment/safety_plan.html", context)
