"""The audit chain's MAC: an HMAC-SHA256 over a row's content and the previous row's MAC.

Rows are MACed under `AUDIT_KEY`. After a rotation (`rotate_audit_key`) the older keys stay in
`AUDIT_KEY_PREVIOUS`, so the rows written under them still verify: the chain names each change
of key in a checkpoint row, MACed under the old key, that gives the new key's fingerprint.
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime

from django.conf import settings
from django.views.decorators.debug import sensitive_variables


@sensitive_variables("value")  # stars in error reports (see safespaces.error_reports)
def _decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value.strip().encode() + b"==")


@sensitive_variables()
def current_audit_key() -> bytes:
    return _decode(settings.AUDIT_KEY)


@sensitive_variables()
def audit_keys() -> list[bytes]:
    """The current key, then every previous one: all the keys the chain may have been written
    under."""
    previous = getattr(settings, "AUDIT_KEY_PREVIOUS", "")
    return [current_audit_key()] + [
        _decode(entry) for entry in previous.split(",") if entry.strip()
    ]


@sensitive_variables("key")
def fingerprint(key: bytes) -> str:
    """A short name for a key that reveals nothing of it: a checkpoint row names the next key by
    it, and an operator can compare it with the one `rotate_audit_key` prints."""
    return hmac.new(key, b"safespaces audit key fingerprint", hashlib.sha256).hexdigest()[:16]


@sensitive_variables("key")
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
    key: bytes | None = None,
) -> str:
    """The row's MAC under `key`, by default the current AUDIT_KEY."""
    key = current_audit_key() if key is None else key
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
