from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safespaces.crypto.fields import EncryptedJSONField
from safespaces.models import CodedModel


class Draft(CodedModel):
    """What someone typed into a form and has not sent yet, kept on the server and encrypted.

    Never in the session or the browser's storage: a shared phone keeps both. One draft per user
    and form; sending the form discards it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The URL name of the form's view ("<app>:create"): never a path with an id.
    form = models.CharField(_("form"), max_length=100)
    # Field name to the list of values posted, as QueryDict.lists() gives them.
    data = EncryptedJSONField(_("data"))
    saved_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "form"], name="one_draft_per_user_and_form")
        ]

    def __str__(self) -> str:
        return f"draft {self.id}"


class EditBase(CodedModel):
    """The values of a versioned record as an edit form showed them, encrypted: the common
    ancestor of a three-way merge when two people edit the record at once (`safespaces.editing`).

    One row per record and version, shared by every editor who opened that version, written when
    a form is opened and deleted once no form of that age can still be sent.
    """

    # The model's label ("incidents.incident") and the record's primary key: a weak link, so
    # one table serves every kind of record; erasing a record deletes its rows explicitly.
    model = models.CharField(_("model"), max_length=100)
    object_id = models.UUIDField(_("object id"))
    version = models.PositiveIntegerField(_("version"))
    # Form field name to its value, as `safespaces.editing.values_of` normalizes them.
    values = EncryptedJSONField(_("values"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["model", "object_id", "version"], name="one_edit_base_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"edit base {self.id}"
