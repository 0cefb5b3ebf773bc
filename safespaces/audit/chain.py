"""The audit chain's MAC: an HMAC-SHA256 over a row's content and the previous row's MAC."""

import base64
import hashlib
import hmac
import json
from datetime import datetime

from django.conf import settings
from django.views.decorators.debug import sensitive_variables


@sensitive_variables("key")  # stars in error reports (see safespaces.error_reports)
def event_mac(
    *,
    seq: int,
    at: datetime,
    actor_id: object,
    action: str,
    object_type: str,
    object_id: str,
    fields: list[str],
    prev_mac: str,
    shown: list[str] | None = None,
) -> str:
    key = base64.urlsafe_b64decode(settings.AUDIT_KEY.encode() + b"==")
    parts: list[object] = [
        seq,
        at.isoformat(),
        str(actor_id or ""),
        action,
        object_type,
        object_id,
        fields,
        prev_mac,
    ]
    if shown:
        # Appended only when present, so rows written before `shown` existed still verify.
        parts.append(shown)
    content = json.dumps(parts, separators=(",", ":"))
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()
