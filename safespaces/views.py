from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from safespaces.access import Access, AuthenticatedHttpRequest, access
from safespaces.accounts.selectors import backup_codes_left, has_confirmed_authenticator
from safespaces.accounts.services import session_end
from safespaces.audit.models import AuditEvent
from safespaces.dashboard import panels_for
from safespaces.drafts.models import Draft
from safespaces.drafts.services import draft_keep_on_exit
from safespaces.health import health_check, readiness_check
from safespaces.uploads import post_limit_in_words

RECENT_ACTIVITY = 10


@access(Access.SIGNED_IN)
@require_safe
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    recent = AuditEvent.objects.filter(actor=request.user).order_by("-id")[:RECENT_ACTIVITY]
    context = {
        "recent": recent,
        "has_authenticator": has_confirmed_authenticator(request.user),
        "backup_codes_left": backup_codes_left(request.user),
        # Forms someone started and has not sent: after a session timeout, the way back.
        "drafts": Draft.objects.filter(user=request.user).order_by("-saved_at"),
        "panels": panels_for(request),
    }
    return render(request, "home.html", context)


@access(Access.PUBLIC)
@require_safe
# Outside the request's transaction, which could not even begin without the database.
@transaction.non_atomic_requests
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 'ok' when all is well. When the database, the keys or the audit
    chain fail, 503 and a small JSON naming each part; when only the worker is missing, the same
    JSON with 200 (safespaces.health says why). Never more."""
    health = health_check()
    if health.all_ok:
        return HttpResponse("ok", content_type="text/plain")
    return JsonResponse(health.parts, status=200 if health.can_serve else 503)


@access(Access.PUBLIC)
@require_safe
@transaction.non_atomic_requests
def readyz(request: HttpRequest) -> HttpResponse:
    """For load balancers and monitoring: a JSON naming every part, always. 503 when this server
    cannot serve (database, keys, audit chain, attachments folder), else 200, a missing worker or
    a late sealer included (safespaces.health says why). Public: it names states, never a host,
    a key, a count of records or an error's text."""
    health = readiness_check()
    return JsonResponse(health.parts, status=200 if health.ready else 503)


# A GET on purpose: the exit must work from a plain link, without JavaScript or a form token that
# may have expired. Forcing someone out of their own session is the only thing a forged link does.
#
# With JavaScript, a half-written form first comes here as a POST (static/js/quick-exit.js): its
# text is kept as the user's encrypted draft and the session ends in the same request, so no
# later request can end the session before the text is safe. The script then replaces the page
# with the GET, which clears the browser's data and leaves for the neutral site. The POST carries
# the form's CSRF token, so no other site can plant a draft.
@access(Access.PUBLIC)
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def quick_exit(request: HttpRequest) -> HttpResponse:
    """End the session at once and go to a neutral site, leaving nothing behind in the browser."""
    if request.method == "POST":
        draft_keep_on_exit(request)
    if request.user.is_authenticated:
        session_end(request=request, action=AuditEvent.Action.QUICK_EXIT)
    # Read by the script only; the page's own navigation follows with the GET.
    response = (
        HttpResponse(status=204)
        if request.method == "POST"
        else HttpResponseRedirect(settings.QUICK_EXIT_URL)
    )
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused before any view saw it. When it was too large (a pasted text
    beyond DATA_UPLOAD_MAX_MEMORY_SIZE), say so and what the limit is: a bare "Bad Request"
    leaves someone who just lost a long text with nothing to act on. Pages with forms check the
    size before sending and keep the text (static/js/post-limit.js); this page is for browsers
    without scripts."""
    if isinstance(exception, RequestDataTooBig):
        context = {"limit": post_limit_in_words()}
        return render(request, "413.html", context, status=413)
    return render(request, "400.html", status=400)
