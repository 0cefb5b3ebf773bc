"""Optimistic locking, shared by every edit form: a save wins only if nobody saved since the form
was opened; otherwise the editor sees their changes again with the conflict explained."""

from django import forms
from django.db import models, transaction


class EditConflict(Exception):
    """Someone else saved the record after the form was opened."""


def save_if_unchanged(instance: models.Model, *, seen_version: int) -> None:
    """Save `instance` with the next version number, or raise EditConflict.

    The row is locked until the transaction ends, so two editors cannot both pass the check.
    """
    with transaction.atomic():
        current = type(instance).objects.select_for_update().only("version").get(pk=instance.pk)
        if current.version != seen_version:
            raise EditConflict
        instance.version = current.version + 1  # type: ignore[attr-defined]
        instance.save()


def show_conflict(form: forms.BaseForm, instance: models.Model, message: str) -> None:
    """Explain the conflict above the editor's own changes, which stay in the form.

    Saving again then means "keep my version": the next submit carries the current version.
    """
    form.add_error(None, message)
    form.data = form.data.copy()
    form.data["version"] = type(instance).objects.only("version").get(pk=instance.pk).version
