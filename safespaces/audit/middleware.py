from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from safespaces.audit.disclosure import disclosure_collected
from safespaces.audit.services import (
    AuditKeyMismatch,
    audit_sealing_after_response,
    response_audit,
)
from safespaces.unavailable import keys_unavailable


def _refused(request: HttpRequest) -> HttpResponse:
    return keys_unavailable(
        request,
        problem=_(
            "The audit trail cannot be written: its key does not match it. Restore the audit "
            "key from your key backup."
        ),
    )


class ResponseAuditMiddleware:
    """Every response that shows decrypted records writes one audit event naming them.

    It wraps the view and the rendering of its template, and writes the event before the
    response leaves: if the event cannot be written, the content is not sent either. When
    AUDIT_KEY does not continue the chain, nothing is recorded, so nothing is done or shown:
    the request gets a 503 page (the view's transaction has been rolled back).

    The events written inside it are sealed into the chain once the response has been sent
    (`audit_sealing_after_response`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit_sealing_after_response(), disclosure_collected():
            response = self.get_response(request)
            try:
                response_audit(request=request, response=response)
            except AuditKeyMismatch:
                return _refused(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, AuditKeyMismatch):
            return _refused(request)
        return None
