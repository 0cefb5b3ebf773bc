"""Kinds of event that apps register, so the platform can deliver them without knowing the apps.

An app registers its kinds from its `ready()`, as it registers home page panels
(`safespaces.dashboard`), and calls `notify(kind=..., recipients=..., link=...)` when one happens.
A kind carries the only words that ever leave the app: a neutral sentence that says what kind of
thing needs attention, never which person, place or incident.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Urgency(StrEnum):
    URGENT = "urgent"  # someone may be in danger: every channel, cannot be switched off
    NORMAL = "normal"  # needs attention soon: in the app; outward channels if the user asks
    # Can wait: a summary at most once a day, in the app and by email unless switched off.
    DIGEST = "digest"
    SECURITY = "security"  # about the user's own account: cannot be switched off


# Kinds a user may not switch off entirely: one outward channel stays on when one is available.
ALWAYS_ON = frozenset({Urgency.URGENT, Urgency.SECURITY})


@dataclass(frozen=True)
class Kind:
    key: str  # "<app>.<event>", stored with each notification
    label: str | Promise  # on the preferences page
    urgency: Urgency
    # The neutral sentence for the message, completing "SITE_TITLE: ...": "a check-in is overdue".
    text: str | Promise
    # Whether a delivery that fails for good is passed on to the administrators. Set for urgent
    # kinds; the notice of a failure itself never escalates, or failures could loop.
    escalates: bool = False
    # Sent to administrators only: other people do not see it among their preferences.
    administrators_only: bool = False


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Add a kind; called from an app's `ready()`. Registering the same kind again is harmless;
    another kind under a key already taken is a programming error."""
    known = _kinds.get(kind.key)
    if known is not None and known != kind:
        raise ValueError(f"notification kind {kind.key!r} is already registered")
    _kinds[kind.key] = kind


def kind_of(key: str) -> Kind | None:
    return _kinds.get(key)


def kinds() -> list[Kind]:
    """Every kind, urgent and security first, then by key, as the preferences page lists them."""
    order = [Urgency.URGENT, Urgency.SECURITY, Urgency.NORMAL, Urgency.DIGEST]
    return sorted(_kinds.values(), key=lambda kind: (order.index(kind.urgency), kind.key))


SIGN_IN = "account.sign_in"
PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 - a kind key, not a password
SECOND_FACTOR_RESET = "account.second_factor_reset"
BACKUP_CODES = "account.backup_codes"
DELIVERY_FAILED = "notifications.delivery_failed"


def platform_kinds_register() -> None:
    """The platform's own kinds: changes to someone's account, for its owner, and the notice to
    administrators that an urgent alert could not be delivered."""
    for kind in [
        Kind(
            SIGN_IN,
            _("New sign-in to your account"),
            Urgency.SECURITY,
            _("a new sign-in to your account"),
        ),
        Kind(
            PASSWORD_CHANGED,
            _("Your password was changed"),
            Urgency.SECURITY,
            _("your password was changed"),
        ),
        Kind(
            SECOND_FACTOR_RESET,
            _("Your second factor was reset or replaced"),
            Urgency.SECURITY,
            _("your second factor was reset or replaced"),
        ),
        Kind(
            BACKUP_CODES,
            _("New backup codes were made"),
            Urgency.SECURITY,
            _("new backup codes were made for your account"),
        ),
        Kind(
            DELIVERY_FAILED,
            _("An urgent alert could not be delivered (administrators)"),
            Urgency.SECURITY,
            _("an urgent alert could not be delivered"),
            administrators_only=True,
        ),
    ]:
        register(kind)
