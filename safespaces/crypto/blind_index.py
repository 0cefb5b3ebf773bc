"""Exact-match search over encrypted values without decrypting them.

An HMAC-SHA256 of the normalised value under BLIND_INDEX_KEY, separated by purpose so the same
value gives unrelated digests in different columns. Use it only for values with many possible
values (a phone number, an email address): over a handful of choices the digest is a code book.
"""

import base64
import hashlib
import hmac
import unicodedata

from django.conf import settings
from django.views.decorators.debug import sensitive_variables


def normalise(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


# The value, the message and the key all stay out of error reports.
@sensitive_variables()
def blind_index(value: str, *, purpose: str) -> str:
    key = base64.urlsafe_b64decode(settings.BLIND_INDEX_KEY.encode() + b"==")
    message = f"{purpose}\x1f{normalise(value)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
