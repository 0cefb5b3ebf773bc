"""AES-256-GCM sealing of field values, bound to where they are stored.

A sealed value is URL-safe base64 of: version (1 byte) | key id length (1 byte) | key id |
96-bit random nonce | ciphertext and tag. The associated data names the model, the field and the
row's primary key, so a ciphertext copied to another row or field does not open. Opening never
falls back to the stored text: it returns the plaintext or raises DecryptionError.
"""

import base64
import binascii
import secrets
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.views.decorators.debug import sensitive_variables

from safespaces.crypto.keys import parse_field_keys

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be opened: wrong key, wrong place, or tampered with."""


@dataclass(frozen=True)
class KeyRing:
    primary_id: str
    ciphers: dict[str, AESGCM]


# Keys and plaintext stay out of error reports (see safespaces.error_reports).
@cache
@sensitive_variables("keys")
def key_ring() -> KeyRing:
    keys = parse_field_keys(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise DecryptionError("FIELD_ENCRYPTION_KEYS is not set")
    return KeyRing(keys[0].key_id, {key.key_id: AESGCM(key.secret) for key in keys})


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: object) -> None:
    if setting == "FIELD_ENCRYPTION_KEYS":
        key_ring.cache_clear()


@sensitive_variables("plaintext")
def seal(plaintext: bytes, *, associated_data: bytes, key_id: str | None = None) -> str:
    """Seal under the primary key, or under the key `key_id` (the key check seals one value
    under each key)."""
    ring = key_ring()
    name = ring.primary_id if key_id is None else key_id
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = ring.ciphers[name].encrypt(nonce, plaintext, associated_data)
    key_id_bytes = name.encode()
    header = bytes([VERSION, len(key_id_bytes)]) + key_id_bytes
    return base64.urlsafe_b64encode(header + nonce + sealed).decode("ascii")


def _split(token: str) -> tuple[str, bytes, bytes]:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        version, id_length = raw[0], raw[1]
    except (binascii.Error, ValueError, IndexError, UnicodeEncodeError) as error:
        raise DecryptionError("not a sealed value") from error
    if version != VERSION:
        raise DecryptionError(f"unknown format version {version}")
    key_id = raw[2 : 2 + id_length].decode("ascii", errors="replace")
    body = raw[2 + id_length :]
    # A truncated value would otherwise reach AESGCM as a short nonce and raise ValueError.
    if len(body) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("not a sealed value")
    return key_id, body[:NONCE_BYTES], body[NONCE_BYTES:]


def key_id_of(token: str) -> str:
    return _split(token)[0]


def open_sealed(token: str, *, associated_data: bytes) -> bytes:
    key_id, nonce, sealed = _split(token)
    cipher = key_ring().ciphers.get(key_id)
    if cipher is None:
        raise DecryptionError(f"key '{key_id}' is not in FIELD_ENCRYPTION_KEYS")
    try:
        return cipher.decrypt(nonce, sealed, associated_data)
    except InvalidTag as error:
        raise DecryptionError("value does not belong here or was altered") from error
