"""What /healthz and /readyz report: each part the app needs, checked in a few queries, named
without a secret or an error message (the answer is public).

The database, the keys and the audit chain decide whether this server can serve: when one fails
every page would fail, so the answer is 503 and a load balancer takes the server out. A missing
worker does not: every app server would report it at once, and taking them all out would leave
people unable to sign in. It is named in a 200 answer instead (docs/operations.md, Health check).

/readyz adds two parts: this server's attachments folder, which decides too (a missing or
read-only folder is this server's own), and the audit sealer, which does not (it is the
worker's).
"""

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.core.files.storage import FileSystemStorage, InvalidStorageError, storages
from django.db import DatabaseError, connection
from django.utils import timezone

from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_key_status
from safespaces.crypto.keycheck import field_keys_status
from safespaces.worker.heartbeat import worker_status

logger = logging.getLogger(__name__)

OK = "ok"
UNKNOWN = "unknown"
# A part this server leaves to be watched where it runs (object storage): it does not decide.
NOT_CHECKED = "not checked"
# The parts that take a server out of the load balancer when they fail.
SERVING_PARTS = ("database", "keys", "audit")
# For /readyz: the same, and this server's attachments folder.
READY_PARTS = (*SERVING_PARTS, "storage")
# The worker seals what no writer sealed every 10 seconds: a row older than this waits for it.
SEAL_LATE = timedelta(minutes=2)


@dataclass(frozen=True)
class Health:
    parts: dict[str, str]

    @property
    def can_serve(self) -> bool:
        return all(self.parts[name] == OK for name in SERVING_PARTS)

    @property
    def ready(self) -> bool:
        return all(self.parts[name] in (OK, NOT_CHECKED) for name in READY_PARTS)

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


def storage_part() -> str:
    """Whether the attachments folder is there and writable. Object storage is not checked here:
    a request to it per probe would cost more than the probe is worth; watch it where it runs.
    Only a folder's storage counts: S3Storage has a `location` too (a prefix in the bucket, ""
    by default), which as a path would be the working folder."""
    try:
        storage = storages["attachments"]
    except InvalidStorageError:
        return "not configured"
    if not isinstance(storage, FileSystemStorage):
        return NOT_CHECKED
    # Until the first upload the folder may not exist yet: then the folder it is made in counts.
    folder = Path(storage.location)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return OK if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK) else "not writable"


def sealer_part(now: datetime | None = None) -> str:
    """Whether audit rows wait to be sealed longer than the worker would let them (one indexed
    row: pending rows have an index of their own). Since when goes to the log."""
    oldest = (
        AuditEvent.objects.filter(seq__isnull=True).order_by("id").values_list("at", flat=True)
    ).first()
    if oldest is None or (now or timezone.now()) - oldest < SEAL_LATE:
        return OK
    # The answer is public: the time would tell anyone when something audited was done.
    logger.warning(
        "Audit rows have waited to be sealed since %s", f"{oldest.astimezone(UTC):%Y-%m-%dT%H:%MZ}"
    )
    return "late"


def readiness_check() -> Health:
    """Every part /readyz names: /healthz's, the attachments folder and the sealer."""
    health = health_check()
    parts = {**health.parts, "storage": storage_part()}
    parts["sealer"] = sealer_part() if parts["database"] == OK else UNKNOWN
    return Health(parts)
