"""The words and the wire: what a message that leaves the app says, and how it is sent.

A message names the kind of thing that needs attention and links to a page behind the sign-in.
It never carries a name, an alias, a place, an incident's text or an actor: a phone's lock screen,
a mail provider and a relay operator all see it. The sender's name is SITE_TITLE, or in neutral
mode NEUTRAL_TITLE, which then also stands for the kind's sentence (safespaces.branding).
"""

import hashlib
import hmac
import json
import time
import urllib.request
from dataclasses import dataclass
from email.utils import formataddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from safespaces.branding import outward_name
from safespaces.languages import language_of_choice
from safespaces.notifications.kinds import Kind, Urgency

# The signature of the webhook's body: hex HMAC-SHA256 of "<timestamp>.<body>" under
# WEBHOOK_SECRET, with the timestamp in its own header so a relay can refuse old replays.
SIGNATURE_HEADER = "X-SafeSpaces-Signature"
TIMESTAMP_HEADER = "X-SafeSpaces-Timestamp"
WEBHOOK_TIMEOUT = 10  # seconds
# ntfy's priorities (1-5), which other relays may map as they like.
PRIORITY = {Urgency.URGENT: 5, Urgency.SECURITY: 4, Urgency.NORMAL: 3, Urgency.DIGEST: 2}


class NoAddress(Exception):
    """The recipient has no address for this channel any more, or the channel is switched off."""


class RelayRefused(Exception):
    """The relay answered with something other than 2xx."""


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    url: str


def absolute(link: str) -> str:
    return settings.SITE_URL + link


def message_for(kind: Kind, link: str, *, language: str = "") -> Message:
    """The outward message of a kind, in the recipient's `language` (their choice in My
    account), or the organization's when they chose none."""
    with translation.override(language_of_choice(language)):
        title = outward_name()
        url = absolute(link)
        text = neutral_text(kind) if settings.NEUTRAL_MODE else str(kind.text)
        subject = _("%(site)s: %(text)s") % {"site": title, "text": text}
        body = _("%(site)s: %(text)s. Open the app: %(url)s") % {
            "site": title,
            "text": text,
            "url": url,
        }
    return Message(subject=subject, body=body, url=url)


def neutral_text(kind: Kind) -> str:
    """In neutral mode even the kind's sentence stays inside the app ("a serious incident was
    logged" on a lock screen tells too much): the message only says how soon to look."""
    if kind.urgency is Urgency.URGENT:
        return _("please look now")
    return _("something new to read")


def email_configured() -> bool:
    return bool(settings.EMAIL_URL)


def webhook_configured() -> bool:
    return bool(settings.WEBHOOK_URL)


def sender() -> str:
    address = settings.EMAIL_FROM or f"noreply@{urlsplit(settings.SITE_URL).hostname}"
    return formataddr((outward_name(), address))


def email_send(message: Message, *, to: str) -> None:
    if not to:
        raise NoAddress
    EmailMessage(message.subject, message.body, sender(), [to]).send()


def webhook_body(message: Message, kind: Kind, *, to: str, delivery: str) -> bytes:
    """The JSON a relay receives. Its field names are ntfy's where ntfy has one (topic, title,
    message, click, priority), so a relay has little to map."""
    payload = {
        "id": delivery,  # the same for every retry of one delivery: a relay can drop repeats
        "kind": kind.key,
        "urgency": str(kind.urgency),
        "topic": to,
        "title": outward_name(),
        "message": message.body,
        "click": message.url,
        "priority": PRIORITY[kind.urgency],
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def signature(body: bytes, timestamp: str, secret: str) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A relay that redirects is misconfigured; following would post the alert somewhere else.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def webhook_send(message: Message, kind: Kind, *, to: str, delivery: str) -> None:
    url = settings.WEBHOOK_URL
    if not url:
        raise NoAddress
    body = webhook_body(message, kind, to=to, delivery=delivery)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 - the operator's own URL, http(s) checked below
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: "sha256=" + signature(body, timestamp, settings.WEBHOOK_SECRET),
        },
    )
    if urlsplit(url).scheme not in ("http", "https"):
        raise RelayRefused
    opener = urllib.request.build_opener(_NoRedirects)
    # HTTPError (any 4xx/5xx, and 3xx since redirects are refused) and URLError propagate.
    with opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
        if not 200 <= response.status < 300:
            raise RelayRefused
