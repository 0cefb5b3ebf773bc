from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from safespaces.access import Access, access
from safespaces.audit.forms import AuditFilterForm
from safespaces.audit.selectors import audit_events_filtered

PAGE_SIZE = 50


@access(Access.ADMINISTRATOR)
@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters: dict[str, object] = {}
    if form.is_bound:
        # A bad value in one filter shows its error; cleaned_data keeps the valid ones applied.
        form.is_valid()
        filters = form.cleaned_data
    page = Paginator(audit_events_filtered(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/event_list.html", {"form": form, "page": page})
