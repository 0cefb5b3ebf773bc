"""Do the configured keys open this database's data? Checked once per process, before serving.

A wrong FIELD_ENCRYPTION_KEYS would otherwise start fine and fail on every page that shows data.
Each field key gets a `KeyCheck` row, a known value sealed under it, the first time it meets the
database; from then on the key of that id must open it. Data sealed before there were key checks
is checked by opening the first stored value of each encrypted model (one row each), which also
finds values sealed under a key that is no longer configured.

`keys_status()` is what /healthz reports and the middleware refuses to serve on: None when the
keys fit, else a short reason that names a variable or a key id, never a secret.
"""

import logging
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import DatabaseError, IntegrityError, models, transaction

from safespaces.crypto.cipher import (
    DecryptionError,
    KeyRing,
    key_id_of,
    key_ring,
    open_sealed,
    seal,
)
from safespaces.crypto.fields import Sealed, encrypted_fields
from safespaces.crypto.models import KeyCheck
from safespaces.crypto.services import encrypted_models

logger = logging.getLogger(__name__)

KNOWN_VALUE = b"SafeSpaces key check"
# Rows read per encrypted model when a key has no key check yet.
SAMPLE = 3

# The FIELD_ENCRYPTION_KEYS value found to fit, once it was; a problem is looked at again on each
# request, so the app serves again as soon as the data (not the process) is put right.
_fits: str | None = None


def _associated_data(key_id: str) -> bytes:
    return f"crypto.KeyCheck\x1f{key_id}".encode()


def _checks_problem(ring: KeyRing, checks: dict[str, str]) -> str | None:
    for key_id, sealed in checks.items():
        if key_id not in ring.ciphers:
            continue  # a key retired after a rotation
        try:
            opened = open_sealed(sealed, associated_data=_associated_data(key_id))
        except DecryptionError:
            opened = b""
        if opened != KNOWN_VALUE:
            return f"FIELD_ENCRYPTION_KEYS: key '{key_id}' does not open this database's key check"
    return None


def _sample_problem(ring: KeyRing, checked: set[str]) -> str | None:
    """Open the first stored values of each encrypted model, unless a key check vouches for
    their key already.

    A key is wrong when it opens none of the values sealed under its id: one value that does not
    open may be damaged or copied from another row (verify_encryption lists those), and must not
    stop the whole app.
    """
    opened: set[str] = set()
    failed: set[str] = set()
    for model in encrypted_models():
        fields = encrypted_fields(model)
        present = reduce(or_, (models.Q(**{f"{f.attname}__isnull": False}) for f in fields))
        names = [f.attname for f in fields]
        for row in model._base_manager.only(*names).filter(present).order_by("pk")[:SAMPLE]:
            for f in fields:
                value = row.__dict__.get(f.attname)
                if not isinstance(value, Sealed):
                    continue
                try:
                    key_id = key_id_of(value.token)
                except DecryptionError:
                    continue  # not a key problem: verify_encryption lists damaged values
                if key_id not in ring.ciphers:
                    return (
                        f"stored values are sealed under key '{key_id}', which "
                        "FIELD_ENCRYPTION_KEYS does not hold"
                    )
                if key_id in checked or key_id in opened:
                    continue
                try:
                    # Opened here, not through the attribute: nothing is shown, nothing audited.
                    f.open_value(row, value)
                except DecryptionError:
                    failed.add(key_id)
                else:
                    opened.add(key_id)
    wrong = sorted(failed - opened)
    if wrong:
        return f"FIELD_ENCRYPTION_KEYS: key '{wrong[0]}' does not open the stored values"
    return None


def _record_checks(ring: KeyRing, checks: dict[str, str]) -> None:
    for key_id in ring.ciphers.keys() - checks.keys():
        sealed = seal(KNOWN_VALUE, associated_data=_associated_data(key_id), key_id=key_id)
        try:
            with transaction.atomic():
                KeyCheck.objects.create(key_id=key_id, sealed=sealed)
        except IntegrityError:
            pass  # another process recorded it first; the next check opens theirs


def field_keys_status(*, record: bool = True) -> str | None:
    """None when the field keys open this database's data (or the database cannot be asked);
    otherwise the reason. With `record`, keys met for the first time get their key check."""
    global _fits
    if _fits is not None and _fits == settings.FIELD_ENCRYPTION_KEYS:
        return None
    try:
        ring = key_ring()
    except (DecryptionError, ValueError):
        return "FIELD_ENCRYPTION_KEYS is missing or invalid"
    try:
        checks = dict(KeyCheck.objects.values_list("key_id", "sealed"))
        problem = _checks_problem(ring, checks) or _sample_problem(
            ring, set(checks) & set(ring.ciphers)
        )
        if problem is None and record:
            _record_checks(ring, checks)
    except DatabaseError:
        # The database is down or not migrated yet: /healthz reports the database itself.
        return None
    if problem is not None:
        logger.error("The encryption keys do not fit this database: %s.", problem)
        return problem
    if record:
        _fits = settings.FIELD_ENCRYPTION_KEYS
    return None


def keys_status() -> str | None:
    """For /healthz: None when the field keys and the audit key fit this database's data, else
    a short reason naming the variable (never a key)."""
    # Imported here: the audit app builds on this one.
    from safespaces.audit.services import audit_key_status

    problem = field_keys_status()
    if problem is not None:
        return problem
    try:
        return audit_key_status()
    except DatabaseError:
        return None
