import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

from safespaces.observability.logs import method_of, request_id, request_route, route_of

logger = logging.getLogger("safespaces.requests")

REQUEST_ID_HEADER = "X-Request-ID"


def user_id(request: HttpRequest) -> str | None:
    """The signed-in user's id, if the request has already looked the user up: looking it up
    here would query the database after the answer, and fail the health check when the
    database is what failed."""
    user = getattr(request, "user", None)
    found = getattr(user, "_wrapped", user)
    if found is None or found is empty or not found.is_authenticated:
        return None
    return str(found.pk)


class RequestLogMiddleware:
    """One line per request: method, route, status, duration and the user's id, under a random
    request id that every other line of the request carries too, and that the answer names in
    X-Request-ID (someone who met an error can quote it).

    Outermost, so it times and sees every answer, the security redirects and the outage page
    included. An X-Request-ID sent by the client is not taken: it would let anyone write what
    they like into the log. The duration runs until the answer is handed over: a streamed
    export goes on being sent after it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        # Left set until the request is finished: Django writes its line about a 4xx answer
        # ("Not Found", "Method Not Allowed") after the last middleware has returned.
        request_id.set(secrets.token_hex(8))
        request_route.set("")
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id.get()
        self.log(request, response, time.monotonic() - started)
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        # From here on the route is known: lines the view writes, and error reports, carry it.
        request_route.set(route_of(request))

    def log(self, request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        fields = {
            "method": method_of(request),
            "route": route_of(request),
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "user_id": user_id(request),
        }
        logger.info(
            "%s %s %s %sms",
            fields["method"],
            fields["route"],
            fields["status"],
            fields["duration_ms"],
            extra=fields,
        )


def request_context_end(**kwargs: object) -> None:
    """Lines written after the answer was sent belong to no request."""
    request_id.set("")
    request_route.set("")


request_finished.connect(request_context_end, dispatch_uid="safespaces.observability")
