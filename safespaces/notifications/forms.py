from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from safespaces.notifications.kinds import ALWAYS_ON, Kind, Urgency
from safespaces.notifications.models import Address, Channel


def field_name(kind: Kind, channel: Channel) -> str:
    return f"{kind.key}__{channel.value}"


class PreferencesForm(forms.Form):
    """Addresses, and per kind the outward channels (the app itself is always on). Urgent and
    security kinds keep at least one outward channel when any can reach the user."""

    email = forms.EmailField(
        label=_("Email address for alerts"),
        required=False,
        help_text=_("Optional. Messages say only what kind of thing needs attention."),
    )
    relay = forms.CharField(
        label=_("Alert relay address"),
        required=False,
        max_length=200,
        help_text=_(
            "Optional: where your organization's alert relay reaches you, such as your Signal "
            "number or an ntfy topic. Ask an administrator what to put here."
        ),
    )
    password = forms.CharField(
        label=_("Your password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Needed only to change an address, so nobody else can redirect your alerts."),
    )

    def __init__(
        self,
        *args: Any,
        kinds: list[Kind],
        channels: list[Channel],
        chosen: dict[str, set[Channel]],
        address: Address | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kinds, self.channels, self.address = kinds, channels, address
        self.fields["email"].initial = address.email if address else ""
        self.fields["relay"].initial = address.relay if address else ""
        for kind in kinds:
            for channel in channels:
                self.fields[field_name(kind, channel)] = forms.BooleanField(
                    label=f"{kind.label}: {channel.label}",
                    required=False,
                    initial=channel in chosen.get(kind.key, set()),
                )

    def rows(self) -> list[tuple[Kind, bool, bool, list[tuple[Channel, forms.BoundField]]]]:
        """For the template: each kind, whether it stays on, whether it is a digest, and its
        channels' boxes."""
        return [
            (
                kind,
                kind.urgency in ALWAYS_ON,
                kind.urgency is Urgency.DIGEST,
                [(c, self[field_name(kind, c)]) for c in self.channels],
            )
            for kind in self.kinds
        ]

    def addresses_changed(self) -> bool:
        old_email = self.address.email if self.address else ""
        old_relay = self.address.relay if self.address else ""
        data = self.cleaned_data
        return (data.get("email", ""), data.get("relay", "")) != (old_email, old_relay)

    def choices(self) -> dict[tuple[str, Channel], bool]:
        return {
            (kind.key, channel): self.cleaned_data[field_name(kind, channel)]
            for kind in self.kinds
            for channel in self.channels
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # What can reach the user once this is saved: email needs an address.
        reachable = [c for c in self.channels if c is not Channel.EMAIL or data.get("email")]
        for kind in self.kinds:
            if kind.urgency not in ALWAYS_ON or not reachable:
                continue
            if not any(data.get(field_name(kind, channel)) for channel in reachable):
                self.add_error(
                    field_name(kind, reachable[0]),
                    _("“%(kind)s” cannot be switched off: keep at least one way to reach you.")
                    % {"kind": kind.label},
                )
        if self.addresses_changed() and not data.get("password"):
            self.add_error("password", _("Type your password to change where alerts go."))
        return data
