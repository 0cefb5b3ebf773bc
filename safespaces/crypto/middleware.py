from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from safespaces.crypto.keycheck import field_keys_status
from safespaces.unavailable import keys_unavailable


class KeyCheckMiddleware:
    """Refuse to serve, with a 503 that names the problem, while the field keys do not open this
    database's data: every page would otherwise fail with a bare 500.

    The check runs on the first request of each process (the database cannot be asked before),
    and is cached once the keys fit. /healthz and /readyz report it in their own JSON instead.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.probes = {reverse("healthz"), reverse("readyz")}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in self.probes and field_keys_status() is not None:
            return keys_unavailable(
                request,
                problem=_(
                    "The encryption keys do not open this database's data. Restore the keys "
                    "from your key backup."
                ),
            )
        return self.get_response(request)
