"""Notifying people: `notify` records the in-app notification and queues its delivery by each
channel the recipient has on; preferences and addresses are written here too."""

from collections.abc import Iterable, Mapping
from datetime import datetime, time
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from safespaces.accounts.models import User
from safespaces.audit.models import AuditEvent
from safespaces.audit.services import audit_record
from safespaces.notifications import sending
from safespaces.notifications.kinds import ALWAYS_ON, Kind, Urgency, kind_of
from safespaces.notifications.models import Address, Channel, Delivery, Notification, Preference
from safespaces.notifications.selectors import address_of


class UnknownKind(ValueError):
    pass


def _check_link(link: str) -> None:
    parts = urlsplit(link)
    if not link.startswith("/") or link.startswith("//") or parts.scheme or parts.netloc:
        raise ValueError("notify takes a path on this site, such as /incidents/<code>/")


def available_channels(user: User, address: Address | None = None) -> set[Channel]:
    """The outward channels that can reach `user`: configured on this server and, for email, an
    address given. The relay works without one (it may route to a shared channel)."""
    address = address if address is not None else address_of(user)
    channels = set()
    if sending.email_configured() and address is not None and address.email:
        channels.add(Channel.EMAIL)
    if sending.webhook_configured():
        channels.add(Channel.WEBHOOK)
    return channels


def default_channels(kind: Kind, available: set[Channel]) -> set[Channel]:
    """Urgent: every channel there is. Security: email, or the relay where there is no email.
    Digest: email, never the relay (a summary at most once a day is what an inbox is for; a relay
    reaches a phone's lock screen). Normal: in the app only, until the user asks for more."""
    if kind.urgency is Urgency.URGENT:
        return set(available)
    if kind.urgency is Urgency.SECURITY:
        if Channel.EMAIL in available:
            return {Channel.EMAIL}
        return set(available)
    if kind.urgency is Urgency.DIGEST:
        return available & {Channel.EMAIL}
    return set()


def channels_for(user: User, kind: Kind, *, available: set[Channel] | None = None) -> set[Channel]:
    """The outward channels a notification of `kind` goes to `user` by."""
    available = available_channels(user) if available is None else available
    chosen = default_channels(kind, available)
    for preference in Preference.objects.filter(user=user, kind=kind.key):
        if preference.enabled:
            chosen.add(Channel(preference.channel))
        else:
            chosen.discard(Channel(preference.channel))
    chosen &= available
    if kind.urgency in ALWAYS_ON and not chosen:
        # The one chosen went away (an address removed, a channel unconfigured): never silence.
        chosen = default_channels(kind, available)
    return chosen


def notify(*, kind: str, recipients: Iterable[User], link: str) -> list[Notification]:
    """Tell `recipients` that something of `kind` needs their attention at `link`, a path behind
    the sign-in. In-app at once; by email and relay as each recipient chose, through the task
    queue. Call it inside the transaction of what happened: with the database queue the
    notification and its deliveries commit or roll back with it."""
    # The task module imports this one.
    from safespaces.notifications.tasks import DELIVERY_PRIORITY, deliver

    registered = kind_of(kind)
    if registered is None:
        raise UnknownKind(f"notification kind {kind!r} is not registered")
    _check_link(link)
    made = []
    for user in {user.pk: user for user in recipients}.values():
        notification = Notification.objects.create(recipient=user, kind=kind, link=link)
        made.append(notification)
        if not user.is_active:
            continue  # a deactivated account's addresses get nothing
        for channel in sorted(channels_for(user, registered)):
            delivery = Delivery.objects.create(notification=notification, channel=channel)
            deliver.using(priority=DELIVERY_PRIORITY).enqueue(str(delivery.pk), 1)
    return made


def day_start() -> datetime:
    """Midnight today on the organization's clock (TIME_ZONE), the day a digest belongs to."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


@transaction.atomic
def digest_notify(*, kind: str, recipients: Iterable[User], link: str) -> list[Notification]:
    """`notify` for a digest kind, at most once a day per recipient: those who already have a
    notification of `kind` since midnight (a second run of the day's task, after a restart) are
    left out. Returns the notifications made."""
    registered = kind_of(kind)
    if registered is None or registered.urgency is not Urgency.DIGEST:
        raise UnknownKind(f"{kind!r} is not a registered digest kind")
    wanted = {user.pk: user for user in recipients}
    # Their rows are locked, in one order, until the notifications are written: two runs at once
    # take turns here, and the second finds the first's notifications.
    list(User.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk").values("pk"))
    told = Notification.objects.filter(
        kind=kind, recipient__in=wanted, created_at__gte=day_start()
    ).values_list("recipient", flat=True)
    for pk in set(told):
        del wanted[pk]
    return notify(kind=kind, recipients=wanted.values(), link=link)


def notification_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_settle(*, kind: str, link: str) -> int:
    """Someone dealt with what the notifications of `kind` at `link` asked for (a check-in made, a
    decision approved): they are read for everyone, so nobody's inbox keeps a call already
    answered. Returns how many were still unread."""
    return Notification.objects.filter(kind=kind, link=link, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@sensitive_variables("email", "relay")
@transaction.atomic
def preferences_save(
    *, user: User, choices: Mapping[tuple[str, Channel], bool], email: str, relay: str
) -> list[str]:
    """Save the user's addresses and their choice of channels per kind (`choices` maps a kind's
    key and a channel to on or off). Returns the names of what changed, which the audit event
    records; never the addresses themselves."""
    changed = []
    address = address_of(user) or Address(user=user)
    for name, old, new in [("email", address.email, email), ("relay", address.relay, relay)]:
        if old != new:
            changed.append(name)
    if changed:
        address.email, address.relay = email, relay
        address.save()
    # Only what differs from what the page showed is stored: an untouched kind keeps following
    # its default.
    available = available_channels(user, address)
    moved = {}
    for (key, channel), enabled in choices.items():
        kind = kind_of(key)
        if (
            kind is not None
            and (channel in channels_for(user, kind, available=available)) != enabled
        ):
            moved[key, channel] = enabled
    for (key, channel), enabled in moved.items():
        Preference.objects.update_or_create(
            user=user, kind=key, channel=channel, defaults={"enabled": enabled}
        )
    if moved:
        changed.append("channels")
    if changed:
        audit_record(
            action=AuditEvent.Action.CHANGE,
            actor=user,
            target=user,
            fields=[f"notification_{name}" for name in changed],
        )
    return changed
