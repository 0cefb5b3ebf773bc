"""Generating and hashing one-time set-up links.

The token is 32 random bytes, URL-safe, shown once to the administrator who hands it over. The
database keeps only an HMAC of it under BLIND_INDEX_KEY: a copy of the database, or of a backup,
cannot be turned into a working link.
"""

import secrets
from datetime import timedelta

from safespaces.crypto.blind_index import blind_index

# Long enough to hand the link over in person after a weekend, short enough that a forgotten
# link does not lie around.
SETUP_LINK_LIFETIME = timedelta(hours=72)


def new_setup_token() -> str:
    return secrets.token_urlsafe(32)


def setup_token_digest(token: str) -> str:
    # blind_index case-folds, so the digest ignores letter case: about 225 bits remain, plenty.
    return blind_index(token, purpose="setup-link")
