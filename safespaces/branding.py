"""How the app names itself, on a page and in what leaves it.

Anyone holding a shared phone can see a tab's title and icon, the browser's history, a lock
screen's email preview and the list in an authenticator app. What they see there is either the
app's name (SITE_TITLE) or a name that gives nothing away (NEUTRAL_TITLE).

Pages for someone who is not signed in always look neutral: the sign-in page is what Back shows
after a quick exit, and what an open tab shows once a session ends. Neutral mode (NEUTRAL_MODE)
makes every page and every outgoing message look neutral as well.
"""

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.templatetags.static import static

from safespaces.access import past_both_factors

APP_ICON = "img/favicon.svg"
NEUTRAL_ICON = "img/notes.svg"


@dataclass(frozen=True)
class Look:
    """What a page shows of the app: the name in its header and tab, and the tab's icon."""

    name: str
    icon_url: str
    # Whether the tab title starts with the page's own title ("Log an incident · ..."). In
    # neutral mode it does not: the browser's history keeps every title.
    titles_name_the_page: bool = True


def neutral_name() -> str:
    return str(settings.NEUTRAL_TITLE)


def outward_name() -> str:
    """The name in messages that leave the app: the sender and subject of an email, a relay's
    title. A phone's lock screen shows them to whoever picks it up."""
    return neutral_name() if settings.NEUTRAL_MODE else str(settings.SITE_TITLE)


def look_for(request: HttpRequest) -> Look:
    """The look of a page: the app's own only for someone signed in with both factors, and
    never in neutral mode."""
    if settings.NEUTRAL_MODE:
        return Look(neutral_name(), static(NEUTRAL_ICON), titles_name_the_page=False)
    if not past_both_factors(request):
        return Look(neutral_name(), static(NEUTRAL_ICON))
    return Look(str(settings.SITE_TITLE), static(APP_ICON))
