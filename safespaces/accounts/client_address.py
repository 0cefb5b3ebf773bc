"""The client's address, for throttling sign-ins per address.

Behind PROXY_COUNT trusted proxies, the client is the entry that many places from the right of
X-Forwarded-For (each proxy appends the address it received from). Entries further left are
written by the client and could be forged to dodge the throttle, so they are never read. Without
proxies, only the socket address counts.
"""

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    proxies = settings.PROXY_COUNT
    if proxies > 0:
        header = request.META.get("HTTP_X_FORWARDED_FOR", "")
        forwarded = [part.strip() for part in header.split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
