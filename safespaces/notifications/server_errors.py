"""The email that tells administrators a page failed (safespaces.observability.errors queues it).

Each administrator with an email address in My account gets it in their own language. It holds
the exception's class, the route, the request id, the time and the frames' files, lines and
functions: never a value, and nothing of the request. In neutral mode the class, the route and
the frames, which name the app's parts, stay in the server's log: the request id finds them.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from safespaces.accounts.models import User
from safespaces.branding import outward_name
from safespaces.languages import language_of_choice
from safespaces.notifications import sending
from safespaces.notifications.selectors import address_of, administrators
from safespaces.notifications.tasks import DELIVERY_PRIORITY

logger = logging.getLogger(__name__)


def labelled(label: str, value: object) -> str:
    return f"{label}: {value}"


def server_error_message(report: dict[str, object], *, language: str) -> sending.Message:
    with translation.override(language_of_choice(language)):
        subject = _("%(site)s: a page failed with an error") % {"site": outward_name()}
        lines = [
            _(
                "A page failed with an unexpected error. This message holds nothing anyone "
                "typed or saw; the server's log has more under the same request id."
            ),
            "",
            labelled(_("Request id"), report["request_id"]),
            labelled(_("Time"), report["time"]),
        ]
        if not settings.NEUTRAL_MODE:
            lines.append(labelled(_("Error"), report["error"]))
            lines.append(labelled(_("Page"), report["route"]))
            lines += ["", _("Where (the last line is where it failed):")]
            frames = report.get("frames")
            for file, line, function in frames if isinstance(frames, list) else []:
                lines.append(f"  {file}, line {line}, in {function}")
    url = sending.absolute("/")
    return sending.Message(subject=subject, body="\n".join(lines) + "\n", url=url)


def recipients() -> list[tuple[User, str]]:
    """Active administrators and their email addresses, for those who gave one."""
    found = []
    for user in administrators():
        address = address_of(user)
        if address is not None and address.email:
            found.append((user, address.email))
    return found


@task(priority=DELIVERY_PRIORITY)
def server_error_send(report: dict[str, object]) -> int:
    """Email the report to every administrator; return how many it reached. A failed send is
    logged by the error's class and not retried: an error that recurs is reported again."""
    reached = 0
    for user, email in recipients():
        message = server_error_message(report, language=user.language)
        try:
            EmailMessage(message.subject, message.body, sending.sender(), [email]).send()
        except Exception as failure:  # noqa: BLE001 - the others still get theirs
            logger.warning("An error report could not be sent: %s", type(failure).__name__)
        else:
            reached += 1
    return reached
