from django.db import models
from django.utils.translation import gettext_lazy as _

from safespaces.crypto.fields import EncryptedCharField, EncryptedTextField
from safespaces.models import VersionedModel


class PlaceKind(models.TextChoices):
    OFFICE = "office", _("Office")
    SHELTER = "shelter", _("Shelter")
    OUTREACH_SITE = "outreach_site", _("Outreach site")
    VENUE = "venue", _("Venue")
    ONLINE_CHANNEL = "online_channel", _("Online channel")
    AREA = "area", _("Area")


class Place(VersionedModel):
    """One of the organization's sites or areas: an office, a shelter, an online channel...

    Name, address and notes are encrypted. Who sees the address (and the notes, which often say
    how to get in) is decided by `places.selectors.may_see_address` and nowhere else.
    """

    Kind = PlaceKind

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = EncryptedCharField(
        _("name"),
        max_length=200,
        help_text=_("Seen by everyone using SafeSpaces, in lists and in forms."),
    )
    address = EncryptedTextField(
        _("address"),
        blank=True,
        help_text=_(
            "Street address, or for an online channel where to find it. Seen only by "
            "coordinators and administrators. Never share a shelter's address by phone or "
            "message."
        ),
    )
    notes = EncryptedTextField(
        _("notes"),
        blank=True,
        help_text=_(
            "Directions, opening hours, who to ask for. Seen only by coordinators and "
            "administrators, like the address."
        ),
    )
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        # The name is ciphertext, so the database cannot sort by it; lists sort in Python.
        ordering = ["kind", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=PlaceKind.values),
                name="place_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: the admin log and error pages keep str() in clear.
        return f"place {self.id}"

    @property
    def is_shelter(self) -> bool:
        return self.kind == self.Kind.SHELTER
