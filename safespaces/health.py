"""What /healthz reports: each part the app needs, checked in a few queries, named without a
secret or an error message (the answer is public).

The database, the keys and the audit chain decide whether this server can serve: when one fails
every page would fail, so the answer is 503 and a load balancer takes the server out. A missing
worker does not: every app server would report it at once, and taking them all out would leave
people unable to sign in. It is named in a 200 answer instead (docs/operations.md, Health check).
"""

from dataclasses import dataclass
from datetime import UTC

from django.db import DatabaseError, connection

from safespaces.audit.services import audit_key_status
from safespaces.crypto.keycheck import field_keys_status
from safespaces.worker.heartbeat import worker_status

OK = "ok"
UNKNOWN = "unknown"
# The parts that take a server out of the load balancer when they fail.
SERVING_PARTS = ("database", "keys", "audit")


@dataclass(frozen=True)
class Health:
    parts: dict[str, str]

    @property
    def can_serve(self) -> bool:
        return all(self.parts[name] == OK for name in SERVING_PARTS)

    @property
    def all_ok(self) -> bool:
        return all(state == OK for state in self.parts.values())


def keys_status() -> str:
    """Whether the field keys open this database's data (safespaces.crypto.keycheck). The
    public answer says only that; the log names the key."""
    return OK if field_keys_status(record=False) is None else "cannot open stored values"


def audit_status() -> str:
    """Whether AUDIT_KEY continues the audit chain (one row; a rotation's checkpoint counts)."""
    return OK if audit_key_status() is None else "newest row does not verify under AUDIT_KEY"


def worker_part() -> str:
    status = worker_status()
    if status.healthy:
        return OK
    if status.last_seen is None:
        return "never seen"
    return f"not seen since {status.last_seen.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def health_check() -> Health:
    """Every part's state. When the database does not answer, the others cannot be checked."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Health(
            {
                "database": OK,
                "keys": keys_status(),
                "audit": audit_status(),
                "worker": worker_part(),
            }
        )
    except DatabaseError:
        return Health(
            {"database": "unavailable", "keys": UNKNOWN, "audit": UNKNOWN, "worker": UNKNOWN}
        )
