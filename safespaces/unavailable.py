"""The page shown when the keys do not fit this database: 503, naming the problem, no secret."""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def keys_unavailable(request: HttpRequest, *, problem: str) -> HttpResponse:
    # Rendered without the request: context processors would query data these keys may not open.
    body = render_to_string(
        "keys_unavailable.html",
        {"problem": problem, "nothing_saved": request.method not in ("GET", "HEAD", "OPTIONS")},
    )
    return HttpResponse(body, status=503, headers={"Retry-After": "300"})
