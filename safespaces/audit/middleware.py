from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from safespaces.audit.disclosure import disclosure_collected
from safespaces.audit.services import response_audit


class ResponseAuditMiddleware:
    """Every response that shows decrypted records writes one audit event naming them.

    It wraps the view and the rendering of its template, and writes the event before the
    response leaves: if the event cannot be written, the content is not sent either.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with disclosure_collected():
            response = self.get_response(request)
            response_audit(request=request, response=response)
        return response
