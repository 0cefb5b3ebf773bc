import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import translation
from django.utils.translation import gettext as _

from safespaces.access import NEEDS_SECOND_FACTOR, access_rule_of, signed_in
from safespaces.accounts.selectors import second_step
from safespaces.accounts.services import session_end, session_touch
from safespaces.accounts.sessions import SEEN_RESOLUTION
from safespaces.audit.models import AuditEvent
from safespaces.drafts.services import draft_keep_expired_post
from safespaces.languages import is_offered

logger = logging.getLogger(__name__)

STARTED_KEY = "safespaces_started"
SEEN_KEY = "safespaces_seen"


class SessionLifetimeMiddleware:
    """End a signed-in session after 30 idle minutes or 12 hours, whichever comes first, or as
    soon as it was signed out from elsewhere.

    The clocks here are the session's own; its row's clocks may lag them by up to SEEN_MARGIN,
    which the rows' cut-offs allow for (selectors._session_cut_offs).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if signed_in(request):
            now = int(time.time())
            started = request.session.setdefault(STARTED_KEY, now)
            seen = request.session.get(SEEN_KEY, now)
            idle = now - seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
            too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if idle or too_old:
                kept = draft_keep_expired_post(request)
                session_end(request=request, action=AuditEvent.Action.SESSION_EXPIRED)
                messages.info(request, _("Your session ended. Please sign in again."))
                if kept:
                    messages.info(
                        request,
                        _(
                            "What you were writing is kept: open the same form after signing "
                            "in to finish it."
                        ),
                    )
            elif not session_touch(request=request):
                # Signed out from another session, or ended by a newer sign-in beyond the cap:
                # both recorded when it happened.
                logout(request)
                messages.info(request, _("Your session ended. Please sign in again."))
            elif now - seen >= SEEN_RESOLUTION.total_seconds() or SEEN_KEY not in request.session:
                request.session[SEEN_KEY] = now
        return self.get_response(request)


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's default-deny login, without `?next=`: a path can say too much about what
    someone was looking at, and it would sit in the address bar and history of a shared phone."""

    def handle_no_permission(
        self, request: HttpRequest, view_func: Callable[..., HttpResponseBase]
    ) -> HttpResponseRedirect:
        return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))


class SecondFactorMiddleware:
    """Send users who gave only a password to verification or enrolment, and refuse any view
    that declares no access rule."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        in_admin = request.resolver_match is not None and request.resolver_match.app_name == "admin"
        rule = access_rule_of(view_func)
        if rule is None and not in_admin:
            logger.error("Refused a view without an access rule: %s", view_func.__module__)
            return render(request, "403.html", status=403)
        needs_second_factor = in_admin or rule in NEEDS_SECOND_FACTOR
        if needs_second_factor and signed_in(request) and not request.user.is_verified():
            return redirect(second_step(request.user))
        return None


class UserLanguageMiddleware:
    """Pages in the language a signed-in person chose in My account, over what the browser or
    the sign-in page's switch asked for (LocaleMiddleware has read those before)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        chosen = user.language if user.is_authenticated else ""
        if chosen and is_offered(chosen):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
