"""What the list of signed-in sessions keeps: a row id in the session, a tag, a coarse device.

The device is named from two short, fixed lists (no version, no model, never the browser's own
string) and no address is kept at all: enough for someone to recognise their phone and spot a
session that is not theirs, not enough to tell anyone where they were.
"""

from datetime import timedelta

from django.utils.crypto import salted_hmac

from safespaces.accounts.models import User

# The session's own UserSession id, set once both factors are given.
SESSION_RECORD_KEY = "safespaces_session"

# A session notes that it is in use at most this often, in itself (for the idle timeout) and in
# its row (for the list): a write per request is not worth it. Either note can be up to this much
# older than the last request, so the row is judged timed out only this much (and a second, for
# the session's whole-second clock) after the session itself: never while the session still works.
SEEN_RESOLUTION = timedelta(seconds=60)
SEEN_MARGIN = SEEN_RESOLUTION + timedelta(seconds=1)

# Checked in this order: Edge, Opera and Samsung's browser also call themselves Chrome and Safari;
# Android also calls itself Linux.
_BROWSERS = [
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_PLATFORMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "Mac"),
    ("Linux", "Linux"),
]


def device_hint(user_agent: str) -> str:
    """'Firefox · Android', 'Chrome', or '' when neither is recognised."""
    found = [
        next((name for marker, name in names if marker in user_agent), "")
        for names in (_BROWSERS, _PLATFORMS)
    ]
    return " · ".join(name for name in found if name)


def auth_tag(user: User) -> str:
    """A short tag of the hash Django checks sessions against: it changes whenever the password
    or the session stamp does, which is when Django ends the user's other sessions."""
    return salted_hmac(
        "safespaces.accounts.sessions.auth_tag", user.get_session_auth_hash(), algorithm="sha256"
    ).hexdigest()[:16]
