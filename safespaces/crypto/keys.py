"""Key material for field encryption, the blind index and the audit chain.

This module reads no Django settings (it imports only a decorator) so that settings.py can validate
keys while it loads and `python -m safespaces.crypto.keys` can print fresh ones on a machine that
cannot start the app yet. Functions that hold a key mark it with `sensitive_variables`, so error
reports print stars instead (see safespaces.error_reports).
Every key is 32 random bytes, written as URL-safe base64. Field keys carry a short id so that a
ciphertext names the key that sealed it and old keys can stay readable during a rotation.
"""

import base64
import binascii
import re
import secrets
import sys
from dataclasses import dataclass, field

from django.views.decorators.debug import sensitive_variables

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")
GENERATE_COMMAND = "python -m safespaces.crypto.keys"
MIN_SECRET_KEY_LENGTH = 50

GENERATE = f"Generate fresh values with: {GENERATE_COMMAND}"
# New field, index or audit keys cannot open what the old ones sealed: where data may exist,
# the fix is the key backup, never the generator.
RESTORE = (
    "This database already holds data: restore the keys from your key backup (new keys would "
    "make every stored value unreadable)."
)
RESTORE_OR_NEW = (
    "Restore the keys from your key backup: new keys would make every stored value unreadable. "
    "Only a new installation with an empty database takes new keys (docs/operations.md, Keys)."
)


@dataclass(frozen=True)
class FieldKey:
    key_id: str
    secret: bytes = field(repr=False)


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


@sensitive_variables()
def decode_key(value: str) -> bytes:
    """Decode one base64 key; raise ValueError when it is not exactly 32 bytes."""
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode() + b"==")
    except (binascii.Error, ValueError) as error:
        raise ValueError("is not valid base64") from error
    if len(raw) != KEY_BYTES:
        raise ValueError(f"must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


@sensitive_variables()
def parse_field_keys(value: str) -> list[FieldKey]:
    """Parse "id:key,id:key"; the first entry is the primary key that seals new values."""
    keys: list[FieldKey] = []
    for entry in filter(None, (part.strip() for part in value.split(","))):
        key_id, sep, encoded = entry.partition(":")
        if not sep or not KEY_ID_PATTERN.match(key_id):
            raise ValueError(f"entry {len(keys) + 1} must look like 'k1:<base64 key>'")
        try:
            keys.append(FieldKey(key_id, decode_key(encoded)))
        except ValueError as error:
            raise ValueError(f"key '{key_id}' {error}") from error
    return keys


@sensitive_variables()
def key_problems(
    *,
    secret_key: str,
    field_keys: str,
    blind_index_key: str,
    audit_key: str,
    audit_key_previous: str = "",
    holds_data: bool | None = False,
) -> list[str]:
    """Every reason the configured keys are unusable, each naming its variable and the fix.

    The fix depends on `holds_data`, whether the database already holds data: False, generate
    fresh keys; True, restore them from the key backup; None (not known, as while settings load),
    restore them, or see the docs for a new installation. SECRET_KEY may always be generated
    anew: a new one only signs everyone out.
    """
    fix = GENERATE if holds_data is False else RESTORE if holds_data else RESTORE_OR_NEW
    problems = []
    if len(secret_key) < MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < 5:
        problems.append(
            f"SECRET_KEY is missing or weak (at least {MIN_SECRET_KEY_LENGTH} random "
            f"characters). {GENERATE}"
        )
    secrets_seen: dict[bytes, str] = {}
    try:
        parsed = parse_field_keys(field_keys)
    except ValueError as error:
        problems.append(f"FIELD_ENCRYPTION_KEYS: {error}. {fix}")
        parsed = []
    else:
        if not parsed:
            problems.append(f"FIELD_ENCRYPTION_KEYS is missing. {fix}")
        ids = [key.key_id for key in parsed]
        if len(ids) != len(set(ids)):
            problems.append(f"FIELD_ENCRYPTION_KEYS repeats a key id. {fix}")
    for key in parsed:
        if key.secret in secrets_seen:
            problems.append(f"FIELD_ENCRYPTION_KEYS holds the same key twice. {fix}")
        secrets_seen[key.secret] = "FIELD_ENCRYPTION_KEYS"
    # Separate keys for separate jobs: a leak of one must not open the others.
    for name, value in (("BLIND_INDEX_KEY", blind_index_key), ("AUDIT_KEY", audit_key)):
        if not value:
            problems.append(f"{name} is missing. {fix}")
            continue
        try:
            secret = decode_key(value)
        except ValueError as error:
            problems.append(f"{name} {error}. {fix}")
            continue
        if secret in secrets_seen:
            problems.append(f"{name} repeats the key of {secrets_seen[secret]}. {fix}")
        secrets_seen[secret] = name
    for number, entry in enumerate(filter(None, map(str.strip, audit_key_previous.split(",")))):
        try:
            decode_key(entry)
        except ValueError as error:
            problems.append(f"AUDIT_KEY_PREVIOUS: entry {number + 1} {error}. {fix}")
    return problems


def fresh_environment() -> str:
    """Lines for a .env file with new random keys."""
    return "\n".join(
        [
            f"SECRET_KEY={secrets.token_urlsafe(50)}",
            f"FIELD_ENCRYPTION_KEYS=k1:{new_key()}",
            f"BLIND_INDEX_KEY={new_key()}",
            f"AUDIT_KEY={new_key()}",
        ]
    )


if __name__ == "__main__":
    sys.stdout.write(fresh_environment() + "\n")
