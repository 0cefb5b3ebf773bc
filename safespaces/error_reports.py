"""What error reports may print: Django's filter, switched on with DEBUG on too."""

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide what `sensitive_variables` and `sensitive_post_parameters` mark, whatever DEBUG says.

    Django hides them only with DEBUG off. The debug page of a copy run with real keys or real
    data (a staging server, a demo on a laptop) would otherwise print the keys held by the
    crypto and audit functions, and the plaintext they were handed.
    """

    def is_active(self, request: HttpRequest | None) -> bool:
        return True
