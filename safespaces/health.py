"""What /healthz reports: each part the app needs, checked in a few queries, named without a
secret or an error message (the answer is public).

The database, the keys and the audit chain decide whether this server can serve: when one fails
every page would fail, so the answer is 503 and a load balancer takes the server out. A missing
worker does not: every app server would report it at once, and taking them all out would leave
people unable to sign in. It is named in a 200 answer instead (docs/operations.md, Health check).
"""

from dataclasses import dataclass
from datetime import UTC
from functools import reduce
from operator import or_

from django.db import DatabaseError, connection
from django.db.models import Q

from safespaces.audit.services import audit_head_verifies
from safespaces.crypto.cipher import DecryptionError
from safespaces.crypto.fields import encrypted_fields
from safespaces.crypto.services import encrypted_models
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
    """Whether the field keys open a stored value: the first encrypted value found, opened
    directly (not through the model, so no page-view is recorded in the audit trail). "ok" too
    when nothing is stored yet: there is nothing a wrong key could fail to open."""
    try:
        # One query per model, stopping at the first model holding a value: one in practice,
        # one per encrypted model only while the database holds none.
        for model in encrypted_models():
            fields = encrypted_fields(model)
            holds_one = reduce(or_, (Q(**{f"{field.name}__isnull": False}) for field in fields))
            row = (
                model._base_manager.filter(holds_one)
                .values_list("pk", *(field.attname for field in fields))
                .first()
            )
            if row is not None:
                pk, *values = row
                field, sealed = next(
                    (field, value)
                    for field, value in zip(fields, values, strict=True)
                    if value is not None
                )
                field.open_value(model(pk=pk), sealed)
                return OK
    except (DecryptionError, ValueError):
        return "cannot open stored values"
    return OK


def audit_status() -> str:
    """Whether the newest audit row verifies under the current AUDIT_KEY (one row)."""
    return OK if audit_head_verifies() else "newest row does not verify under AUDIT_KEY"


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
