"""Optimistic locking, shared by every edit form: a save wins only if nobody saved since the form
was opened; otherwise the editor sees their changes again with the conflict explained."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safespaces.models import VersionedModel

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


SAVED = gettext_lazy("Saved.")


class EditConflict(Exception):
    """Someone else saved the record after the form was opened."""


def conflict_message(thing: str) -> str:
    """The one explanation of an edit conflict; `thing` says what was edited ("this place")."""
    # The whole phrase is the placeholder, not a model name: languages that inflect "this" by
    # gender or case translate each "this ..." as a unit.
    return _(
        "Someone else changed %(thing)s while you were editing. Your changes are below; check "
        "them and save again."
    ) % {"thing": thing}


def save_if_unchanged(instance: VersionedModel, *, seen_version: int) -> None:
    """Save `instance` with the next version number, or raise EditConflict.

    The row is locked until the transaction ends, so two editors cannot both pass the check.
    """
    with transaction.atomic():
        current = (
            type(instance)._default_manager.select_for_update().only("version").get(pk=instance.pk)
        )
        if current.version != seen_version:
            raise EditConflict
        instance.version = current.version + 1
        instance.save()


class VersionedModelForm(forms.ModelForm):
    """A model form that carries the version it was opened at, for `save_if_unchanged`."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding and not self.is_bound:
            self.fields["version"].initial = self.instance.version

    @property
    def seen_version(self) -> int:
        return self.cleaned_data["version"] or 0

    @property
    def changed_fields(self) -> list[str]:
        """The names of the fields the editor changed, for the audit event."""
        return [name for name in self.changed_data if name != "version"]

    def saved_unless_conflict(self, save: Callable[[], object], *, thing: str) -> bool:
        """Run `save`; if someone saved the record meanwhile, explain it above the editor's own
        changes, which stay in the form, and return False.

        Saving again then means "keep my version": the next submit carries the current version.
        """
        try:
            save()
        except EditConflict:
            self.add_error(None, conflict_message(thing))
            # The editor's own values (every value of a multiple choice), with the current version.
            data = QueryDict(mutable=True)
            data.update(self.data)
            data["version"] = str(self.current_version())
            self.data = data
            return False
        return True

    def current_version(self) -> int:
        """The version saved by whoever saved last, for the next submit to build on."""
        return type(self.instance)._default_manager.only("version").get(pk=self.instance.pk).version


def edit_saved(
    request: HttpRequest,
    form: VersionedModelForm,
    *,
    save: Callable[[], object],
    thing: str,
    success: "StrOrPromise | None" = SAVED,
) -> bool:
    """Whether a POSTed edit `form` is valid and `save` (the view's service call) saved it.

    On success `success` is shown as a message (None: the view words its own). On a conflict the
    form keeps what was typed, explains it with `conflict_message(thing)`, and False lets the
    view render it again, like an invalid form.
    """
    if request.method != "POST" or not form.is_valid():
        return False
    if not form.saved_unless_conflict(save, thing=thing):
        return False
    if success is not None:
        messages.success(request, success)
    return True
