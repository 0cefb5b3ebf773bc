"""Delivery by the task queue: one task per notification and channel, retried with back-off.

Each try is recorded as an Attempt (kind, channel, recipient, number, outcome, the error's class
name); never the message, the address or the error's text, which may quote the address.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from safespaces.notifications import sending
from safespaces.notifications.kinds import DELIVERY_FAILED, Urgency, kind_of
from safespaces.notifications.models import Attempt, Channel, Delivery
from safespaces.notifications.selectors import address_of, administrators

logger = logging.getLogger(__name__)

# The wait before each retry: the n-th failure waits BACK_OFF[n-1]. One try more than waits.
BACK_OFF = [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)]
MAX_ATTEMPTS = len(BACK_OFF) + 1
# Above every other task: a message already decided goes out before new work starts. Without it,
# 1,000 check-ins missed in the same minute would queue every email behind every deadline task.
DELIVERY_PRIORITY = 10


def _send(delivery: Delivery) -> None:
    notification = delivery.notification
    kind = kind_of(notification.kind)
    if kind is None:
        raise sending.NoAddress  # the app that registered it is gone
    message = sending.message_for(kind, notification.link, language=notification.recipient.language)
    address = address_of(notification.recipient)
    if delivery.channel == Channel.EMAIL:
        sending.email_send(message, to=address.email if address else "")
    else:
        relay = address.relay if address else ""
        sending.webhook_send(message, kind, to=relay, delivery=str(delivery.pk))


def _answered(delivery: Delivery) -> bool:
    """Read or settled in the app before it went out. Never for the account's own security
    notices: someone in the account could read one to keep its owner from hearing of it."""
    kind = kind_of(delivery.notification.kind)
    return (
        delivery.notification.read_at is not None
        and kind is not None
        and kind.urgency is not Urgency.SECURITY
    )


@task()
def deliver(delivery_id: str, attempt: int) -> None:
    """Try to send one delivery; on failure queue the next try, or give up after the last."""
    delivery = (
        Delivery.objects.select_related("notification__recipient").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return  # sent already (a repeated task), or the notification is gone
    if _answered(delivery):
        # A late message about something already dealt with would only alarm its reader.
        delivery.status = Delivery.Status.ANSWERED
        delivery.save(update_fields=["status"])
        return
    error = ""
    try:
        _send(delivery)
    except Exception as failure:  # noqa: BLE001 - every failure is recorded and retried
        error = type(failure).__name__
        # The class only: an SMTP or HTTP error's text may quote the address.
        logger.warning("notification delivery %s failed: %s", delivery.pk, error)
    with transaction.atomic():
        _record(delivery, attempt, error)


def _record(delivery: Delivery, attempt: int, error: str) -> None:
    notification = delivery.notification
    if not error:
        outcome = Attempt.Outcome.SENT
        delivery.status = Delivery.Status.SENT
    elif attempt < MAX_ATTEMPTS:
        outcome = Attempt.Outcome.RETRYING
        deliver.using(
            priority=DELIVERY_PRIORITY, run_after=timezone.now() + BACK_OFF[attempt - 1]
        ).enqueue(str(delivery.pk), attempt + 1)
    else:
        outcome = Attempt.Outcome.GAVE_UP
        delivery.status = Delivery.Status.FAILED
    delivery.attempts = attempt
    delivery.save(update_fields=["status", "attempts"])
    Attempt.objects.create(
        delivery=delivery,
        kind=notification.kind,
        channel=delivery.channel,
        recipient=notification.recipient,
        number=attempt,
        outcome=outcome,
        error=error[:100],
    )
    kind = kind_of(notification.kind)
    if outcome is Attempt.Outcome.GAVE_UP and kind is not None and kind.escalates:
        _escalate()


def _escalate() -> None:
    """An urgent alert did not get through: every administrator hears of it, in the app and by
    their own channels, and finds which kind and channel on the failures page."""
    from safespaces.notifications.services import notify  # services imports this module

    notify(
        kind=DELIVERY_FAILED,
        recipients=administrators(),
        link=reverse("notifications:failures"),
    )
