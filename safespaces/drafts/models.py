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
