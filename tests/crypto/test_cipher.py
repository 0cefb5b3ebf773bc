"""AES-GCM sealing: fresh nonces, bound to its place, and never opened by guesswork."""

import base64

import pytest
from django.test import override_settings

from safespaces.crypto.cipher import (
    NONCE_BYTES,
    DecryptionError,
    key_id_of,
    key_ring,
    open_sealed,
    seal,
)
from safespaces.crypto.keys import new_key

PLACE = b"crypto_tests.Secret\x1fbody\x1f0f1e2d3c-0000-4000-8000-000000000000"
OTHER_PLACE = b"crypto_tests.Secret\x1fbody\x1f0f1e2d3c-0000-4000-8000-000000000001"


def flip_last_byte(token: str) -> str:
    """The same token with one bit of the tag changed, as a tampered backup would hold."""
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[-1] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode()


def test_it_opens_what_it_sealed() -> None:
    token = seal(b"Ana's new address", associated_data=PLACE)

    assert open_sealed(token, associated_data=PLACE) == b"Ana's new address"


def test_it_seals_empty_values() -> None:
    assert open_sealed(seal(b"", associated_data=PLACE), associated_data=PLACE) == b""


def test_the_token_holds_no_plaintext() -> None:
    token = seal(b"plaintext canary", associated_data=PLACE)

    assert b"plaintext canary" not in base64.urlsafe_b64decode(token)


def test_each_seal_uses_a_fresh_nonce() -> None:
    first = seal(b"same value", associated_data=PLACE)
    second = seal(b"same value", associated_data=PLACE)

    assert first != second
    header = 2 + len(key_id_of(first))
    nonces = {base64.urlsafe_b64decode(t)[header : header + NONCE_BYTES] for t in (first, second)}
    assert len(nonces) == 2


def test_it_names_the_primary_key_in_each_token() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k7:{new_key()}"):
        assert key_id_of(seal(b"x", associated_data=PLACE)) == "k7"


def test_it_refuses_a_token_moved_to_another_place() -> None:
    token = seal(b"value", associated_data=PLACE)

    with pytest.raises(DecryptionError):
        open_sealed(token, associated_data=OTHER_PLACE)


def test_it_refuses_a_tampered_token() -> None:
    token = seal(b"value", associated_data=PLACE)

    with pytest.raises(DecryptionError):
        open_sealed(flip_last_byte(token), associated_data=PLACE)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "plain text someone stored by hand",
        base64.urlsafe_b64encode(b"\x09\x02k1" + bytes(40)).decode(),  # unknown version
        base64.urlsafe_b64encode(b"\x01\x02k1abc").decode(),  # too short for a nonce
        base64.urlsafe_b64encode(b"\x01\x02k1" + bytes(NONCE_BYTES + 4)).decode(),  # no full tag
    ],
    ids=["empty", "plain text", "unknown version", "truncated nonce", "truncated tag"],
)
def test_it_refuses_anything_that_is_not_a_sealed_value(token: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{new_key()}"):
        with pytest.raises(DecryptionError):
            open_sealed(token, associated_data=PLACE)


def test_it_refuses_a_token_under_an_unknown_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k9:{new_key()}"):
        token = seal(b"value", associated_data=PLACE)

    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{new_key()}"):
        with pytest.raises(DecryptionError, match="'k9' is not in FIELD_ENCRYPTION_KEYS"):
            open_sealed(token, associated_data=PLACE)


def test_it_refuses_a_token_when_the_key_id_was_reused_for_a_new_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{new_key()}"):
        token = seal(b"value", associated_data=PLACE)

    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{new_key()}"):
        with pytest.raises(DecryptionError):
            open_sealed(token, associated_data=PLACE)


def test_a_value_under_an_old_key_still_opens_while_that_key_is_listed() -> None:
    old, new = new_key(), new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k1:{old}"):
        token = seal(b"sealed last year", associated_data=PLACE)

    with override_settings(FIELD_ENCRYPTION_KEYS=f"k2:{new},k1:{old}"):
        assert open_sealed(token, associated_data=PLACE) == b"sealed last year"
        # New values go under the first key only.
        assert key_id_of(seal(b"sealed today", associated_data=PLACE)) == "k2"


def test_changing_the_keys_setting_forgets_the_cached_key_ring() -> None:
    before = key_ring()
    with override_settings(FIELD_ENCRYPTION_KEYS=f"k5:{new_key()}"):
        assert key_ring().primary_id == "k5"

    assert key_ring().primary_id == before.primary_id


def test_it_refuses_to_seal_without_keys() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=""):
        with pytest.raises(DecryptionError, match="FIELD_ENCRYPTION_KEYS is not set"):
            seal(b"value", associated_data=PLACE)


@pytest.mark.parametrize("damaged", [b"\x02", b"\xff\xfe not ascii", b""])
def test_the_key_id_of_a_damaged_value_is_a_decryption_error(damaged: bytes) -> None:
    with pytest.raises(DecryptionError):
        key_id_of(damaged)
    assert key_id_of(seal(b"x", associated_data=PLACE)) == key_ring().primary_id
