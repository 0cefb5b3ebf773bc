"""AES-256-GCM sealing of field values, bound to where they are stored.

A sealed value is: version (1 byte) | key id length (1 byte) | key id | 96-bit random nonce |
ciphertext and tag. Version 2, what fields store, is those bytes as they are, in a binary
column. Version 1 is the same layout as URL-safe base64 text: what fields stored before, and what
the key check still stores. The associated data names the model, the field and the row's primary
key, so a ciphertext copied to another row or field does not open. Opening never falls back to
the stored text: it returns the plaintext or raises DecryptionError.
"""

import base64
import binascii
import os
import secrets
import threading
from collections.abc import Iterator
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
BINARY_VERSION = 2
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """A stored value could not be opened: wrong key, wrong place, or tampered with."""


@dataclass(frozen=True)
class KeyRing:
    primary_id: str
    ciphers: dict[str, AESGCM]
    # The same ciphers by their binary header (version, id length, id), and the primary key's
    # header: opening and sealing a field value then costs no decoding, encoding or
    # concatenation of the id.
    by_header: dict[bytes, AESGCM]
    primary_header: bytes
    primary_cipher: AESGCM


# Keys and plaintext stay out of error reports (see safespaces.error_reports).
@cache
@sensitive_variables("keys")
def key_ring() -> KeyRing:
    keys = parse_field_keys(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise DecryptionError("FIELD_ENCRYPTION_KEYS is not set")
    ciphers = {key.key_id: AESGCM(key.secret) for key in keys}
    return KeyRing(
        primary_id=keys[0].key_id,
        ciphers=ciphers,
        by_header={_binary_header(key_id): cipher for key_id, cipher in ciphers.items()},
        primary_header=_binary_header(keys[0].key_id),
        primary_cipher=ciphers[keys[0].key_id],
    )


def _binary_header(key_id: str) -> bytes:
    raw_id = key_id.encode()
    return bytes([BINARY_VERSION, len(raw_id)]) + raw_id


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


def key_id_of(token: str | bytes) -> str:
    """The id of the key a sealed value is under, in either format."""
    if isinstance(token, bytes) and token[:1] == bytes([BINARY_VERSION]):
        if len(token) < 2:
            raise DecryptionError("not a sealed value")
        return token[2 : 2 + token[1]].decode("ascii", errors="replace")
    text = token.decode("ascii", errors="replace") if isinstance(token, bytes) else token
    return _split(text)[0]


def is_binary(token: str | bytes) -> bool:
    """Whether a stored value is in the binary format fields seal in today."""
    return isinstance(token, bytes) and token[:1] == bytes([BINARY_VERSION])


def open_sealed(token: str, *, associated_data: bytes) -> bytes:
    key_id, nonce, sealed = _split(token)
    cipher = key_ring().ciphers.get(key_id)
    if cipher is None:
        raise DecryptionError(f"key '{key_id}' is not in FIELD_ENCRYPTION_KEYS")
    try:
        return cipher.decrypt(nonce, sealed, associated_data)
    except InvalidTag as error:
        raise DecryptionError("value does not belong here or was altered") from error


# Random nonces drawn from the system 4 KB at a time: one system call per 341 values instead of
# one per value, which cost more than the encryption. Each nonce is used once: a lock hands each
# to one caller only, and a child forked by Python (gunicorn's workers, multiprocessing) starts
# with none of its parent's (`os.register_at_fork`), so two processes never share one.
_NONCES_PER_DRAW = 341
_nonces: Iterator[bytes] = iter(())
_nonces_lock = threading.Lock()


def _draw_nonces() -> Iterator[bytes]:
    pool = os.urandom(NONCE_BYTES * _NONCES_PER_DRAW)
    return iter([pool[i : i + NONCE_BYTES] for i in range(0, len(pool), NONCE_BYTES)])


def _nonce() -> bytes:
    global _nonces
    # A lock, not the GIL, keeps each nonce to one caller: Python built without the GIL would not.
    with _nonces_lock:
        for nonce in _nonces:
            return nonce
        _nonces = _draw_nonces()
        return next(_nonces)


def _forget_nonces() -> None:
    global _nonces
    _nonces = iter(())


os.register_at_fork(after_in_child=_forget_nonces)


def seal_binary(plaintext: bytes, *, associated_data: bytes) -> bytes:
    """Seal under the primary key, in the binary format (version 2).

    Not wrapped in `sensitive_variables` as `seal` is: the wrapper cost a third of a seal, and
    error reports hide every frame's variables anyway (safespaces.error_reports)."""
    ring = key_ring()
    nonce = _nonce()
    return (
        ring.primary_header + nonce + ring.primary_cipher.encrypt(nonce, plaintext, associated_data)
    )


def open_binary(token: bytes, *, associated_data: bytes) -> bytes:
    """Open a value sealed by `seal_binary`. Written for speed: a page may open thousands."""
    try:
        start = 2 + token[1]
    except IndexError:
        raise DecryptionError("not a sealed value") from None
    cipher = key_ring().by_header.get(token[:start])
    if cipher is None:
        raise DecryptionError(f"key '{key_id_of(token)}' is not in FIELD_ENCRYPTION_KEYS")
    # A truncated value would otherwise reach AESGCM as a short nonce and raise ValueError.
    if len(token) < start + NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("not a sealed value")
    try:
        return cipher.decrypt(
            token[start : start + NONCE_BYTES], token[start + NONCE_BYTES :], associated_data
        )
    except InvalidTag as error:
        raise DecryptionError("value does not belong here or was altered") from error
