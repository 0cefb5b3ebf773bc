"""Generating and hashing backup codes: ten codes of ten letters and digits, shown once."""

import secrets

from safespaces.crypto.blind_index import blind_index

CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper under stress.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(token: str) -> str:
    return "".join(ch for ch in token.lower() if ch.isalnum())


def looks_like_backup_code(token: str) -> bool:
    return len(normalise_code(token)) == 10 and not normalise_code(token).isdigit()


def code_digest(device: object, token: str) -> str:
    return blind_index(normalise_code(token), purpose=f"backup-code:{device.pk}")  # type: ignore[attr-defined]
