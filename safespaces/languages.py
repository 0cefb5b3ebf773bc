"""The languages pages can be in, and each person's choice among them.

The organization chooses which languages are offered (LANGUAGES); each person chooses theirs in
My account, and anyone can switch on the sign-in page, which needs no account. A choice outside
the offered ones falls back to the organization's language (LANGUAGE_CODE). See
docs/translation.md.
"""

from typing import Literal, cast

from django.conf import settings
from django.http import HttpResponseBase

SameSite = Literal["Lax", "Strict", "None"]

# Each language in its own words, as its speakers look for it in a list. Not translated: a reader
# who cannot read the page's language still finds their own. (Django names Filipino "Tagalog"
# and has no entry for it at all.)
NAMES_LOCAL = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ar": "العربية",
    "pt": "Português",
    "tl": "Filipino",
    "th": "ไทย",
}


def offered() -> list[tuple[str, str]]:
    """(code, name in that language) of every language offered."""
    return [(code, NAMES_LOCAL.get(code, str(name))) for code, name in settings.LANGUAGES]


def is_offered(code: str) -> bool:
    return any(code == offered_code for offered_code, _name in settings.LANGUAGES)


def language_of_choice(code: str) -> str:
    """`code` if it is offered; otherwise the organization's language."""
    return code if is_offered(code) else settings.LANGUAGE_CODE


def remember(response: HttpResponseBase, code: str) -> None:
    """Keep the choice in this browser, as Django's LocaleMiddleware reads it: a language code is
    all the cookie holds. An empty code forgets it: the browser's own language applies again."""
    samesite = cast(SameSite, settings.LANGUAGE_COOKIE_SAMESITE)
    if not code:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH, samesite=samesite
        )
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=samesite,
    )
