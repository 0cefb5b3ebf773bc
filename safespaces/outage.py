"""The page people see while the database does not answer: a 503 that says so, and on a form
submit says plainly that nothing was saved and offers to send what was typed again.

Django turns an exception into a 500 response at the layer that raised it, so a middleware
cannot catch an error of the session or sign-in checks, which read the database before any view
runs. The exception is noted on the request when Django reports it (`got_request_exception`,
sent while it is being handled) and the middleware, outside all of that, swaps the 500 for this
page. The page is rendered with no request and so no context processors: nothing in it reads
the database, the session or the signed-in user.
"""

import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template.loader import get_template

OUTAGE_NOTED = "_safespaces_database_outage"
VIEW_RETURNED = "_safespaces_view_returned"
# Seconds a client is asked to wait before trying again.
RETRY_AFTER = 30
# Never written back into a page: a password or a one-time code typed into a form that failed.
# The CSRF token is kept: the cookie it matches is still valid, so the resent form passes.
CSRF_FIELD = "csrfmiddlewaretoken"


def is_secret_field(name: str) -> bool:
    return "password" in name or name in {"code", "otp_token", "token"}


def _note_outage(sender: object, request: HttpRequest | None = None, **kwargs: Any) -> None:
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        setattr(request, OUTAGE_NOTED, True)


got_request_exception.connect(_note_outage, dispatch_uid="safespaces.outage")


class DatabaseOutageMiddleware:
    """Answer 503 with the outage page for any request that failed on the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, OUTAGE_NOTED, False):
            return outage_response(request)
        return response


class ViewReturnedMiddleware:
    """Innermost: notes that the view returned without failing on the database, so its
    transaction committed. A failure after that (saving the session on the way out) must not be
    told "Nothing was saved": what was sent may well be saved, and sending it again would save
    it twice."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not getattr(request, OUTAGE_NOTED, False):
            setattr(request, VIEW_RETURNED, True)
        return response


def outage_response(request: HttpRequest) -> HttpResponse:
    """The outage page. After a POST it holds what was sent, as hidden fields of a form that
    posts it again to the same address: passwords, codes and files excepted, and it says so.
    Nothing of it is logged: the values go back to the browser that sent them and nowhere
    else, in a response that is never stored (SecurityHeadersMiddleware)."""
    posted = request.method == "POST"
    # Failed after the view had saved: say so, and offer nothing to send again.
    maybe_saved = posted and getattr(request, VIEW_RETURNED, False)
    kept: list[tuple[str, str]] = []
    dropped_secret = False
    files: list[str] = []
    if posted and not maybe_saved:
        try:
            # Read here for the first time when the session check failed before any view.
            sent, files = request.POST, sorted(request.FILES)
        except (BadRequest, MultiPartParserError, RequestDataTooBig, TooManyFieldsSent):
            sent, files = QueryDict(), []
        for name, values in sent.lists():
            if is_secret_field(name) and name != CSRF_FIELD:
                dropped_secret = True
                continue
            kept.extend((name, value) for value in values)
    context = {
        "posted": posted,
        "maybe_saved": maybe_saved,
        "kept": kept,
        "dropped_secret": dropped_secret,
        "files_dropped": bool(files),
        "address": request.get_full_path(),
    }
    response = HttpResponse(get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
