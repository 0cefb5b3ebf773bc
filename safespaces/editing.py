"""Optimistic locking, shared by every edit form: a save wins only if nobody saved since the form
was opened; otherwise the two edits are merged field by field and the editor settles the rest.

How a conflict is resolved (a three-way merge):
- When an edit form is opened at version N, the record's values at N are kept on the server,
  encrypted, in one `EditBase` row per record and version (shared by everyone who opens N). It is
  the common ancestor. Not in the browser: a hidden field would carry sensitive values, even
  encrypted, into a page cache or a shared phone; not rebuilt from the audit trail, which holds
  field names only; not a history of every version, which would keep far more than the few hours
  a form can stay open (rows older than the absolute session lifetime are deleted).
- When the save is refused, each field compares three values: the ancestor, what the other
  person saved (theirs) and what was typed (yours). A field only one side changed takes that
  side's value by itself; a field both changed differently is shown side by side and needs a
  choice ("keep theirs" / "keep yours") before it can be saved.
- The form shown again carries the current version only together with the merged values, and it
  names the fields still to choose. A second submit of the original stale form still carries the
  old version and is refused again: nothing the other person saved is reverted silently.
- Without an ancestor (a form opened before this existed), every field that differs needs a choice.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safespaces.drafts.models import EditBase
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


# A field's value as compared and kept: a string, or the sorted strings of a multiple choice.
Value = str | list[str]
# Form fields that are the machinery of the merge, not the record's values.
NOT_MERGED = {"version", "conflicts"}


def normalized(value: object) -> Value:
    """One comparable form of a value, whether the model holds it or the form cleaned it: a
    related record is its primary key, "no value" is "", a date is its ISO form."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(str(normalized(item)) for item in value)
    if value is None:
        return ""
    return str(json.loads(json.dumps(value, cls=DjangoJSONEncoder)))


def values_of(instance: VersionedModel) -> dict[str, Value]:
    """Every editable value of the record (many-to-many ones as stored), normalized."""
    return {name: normalized(value) for name, value in model_to_dict(instance).items()}


def _label(instance: models.Model) -> str:
    return instance._meta.label_lower


def edit_base_keep(instance: VersionedModel) -> None:
    """Keep the record's values at its current version as the ancestor of any edit opened now."""
    # No form older than the absolute session lifetime can still be sent: its ancestor can go.
    EditBase.objects.filter(
        created_at__lt=timezone.now() - settings.SESSION_ABSOLUTE_TIMEOUT
    ).delete()
    kept = EditBase.objects.filter(
        model=_label(instance), object_id=instance.pk, version=instance.version
    )
    if kept.exists():
        return
    try:
        with transaction.atomic():
            EditBase.objects.create(
                model=_label(instance),
                object_id=instance.pk,
                version=instance.version,
                values=values_of(instance),
            )
    except IntegrityError:
        pass  # another editor opened the same version at the same moment and kept it


def edit_base_of(instance: VersionedModel, *, version: int) -> dict[str, Value] | None:
    base = EditBase.objects.filter(
        model=_label(instance), object_id=instance.pk, version=version
    ).first()
    return base.values if base is not None else None


def edit_bases_forget(instance: VersionedModel) -> None:
    """Delete every kept ancestor of the record: an erased record keeps no old values."""
    EditBase.objects.filter(model=_label(instance), object_id=instance.pk).delete()


def shown(field: forms.Field, value: Value) -> str:
    """A value as the editor reads it: choices by their labels, yes or no, dates written out."""
    values = value if isinstance(value, list) else [value]
    if not [item for item in values if item != ""]:
        return _("(empty)")
    if isinstance(field, forms.ModelChoiceField):
        found = field.queryset.filter(pk__in=values) if field.queryset is not None else []
        labels = [str(field.label_from_instance(item)) for item in found]
        unseen = len(values) - len(labels)
        if unseen:
            # Records this editor may not see are counted, never named.
            labels.append(_("%(count)d more you cannot see") % {"count": unseen})
        return ", ".join(labels)
    if isinstance(field, forms.ChoiceField):
        labels_of: dict[str, str] = {}
        for key, label in cast(Iterable[tuple[object, Any]], field.choices):
            if isinstance(label, list | tuple):  # a group of choices
                labels_of |= {str(inner): str(text) for inner, text in label}
            else:
                labels_of[str(key)] = str(label)
        return ", ".join(labels_of.get(item, item) for item in values)
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return _("Yes") if value == "True" else _("No")
    if isinstance(field, forms.DateField) and isinstance(value, str):
        try:
            return date_format(date.fromisoformat(value))
        except ValueError:
            return value
    return ", ".join(values)


def _set_value(data: QueryDict, field: forms.Field, name: str, value: Value) -> None:
    """Put a value into posted data as the field's widget would have sent it."""
    if isinstance(field.widget, forms.CheckboxInput):
        if value == "True":
            data[name] = "on"
        else:
            data.pop(name, None)
    elif isinstance(value, list):
        data.setlist(name, value)
    else:
        data[name] = value


def _mutable(data: Any) -> QueryDict:
    copy = QueryDict(mutable=True)
    if isinstance(data, QueryDict):
        for key, values in data.lists():
            copy.setlist(key, values)
    else:
        for key, value in data.items():
            copy.setlist(key, value if isinstance(value, list) else [value])
    return copy


Outcome = Literal["theirs", "yours", "choose"]


@dataclass(frozen=True)
class Difference:
    """One field the two editors left different, for the side-by-side view."""

    name: str
    label: str
    theirs: str
    yours: str
    # "theirs" or "yours": merged by itself, as only that side changed it; "choose": both did.
    outcome: Outcome
    chosen: str = ""


class VersionedModelForm(forms.ModelForm):
    """A model form that carries the version it was opened at, for `save_if_unchanged`, and
    after a refused save the fields whose two values the editor must choose between."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Names of the fields both editors changed, separated by spaces: each needs a `keep_<name>`.
    conflicts = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.differences: list[Difference] = []
        self.choosing: list[str] = []
        if not self.instance._state.adding and not self.is_bound:
            self.fields["version"].initial = self.instance.version
        if self.is_bound and not self.instance._state.adding:
            self._apply_choices()

    def _apply_choices(self) -> None:
        """Where the editor chose "keep theirs", take the value saved now: the form was shown
        at the current version, and the save still checks that nobody saved since."""
        names = str(self.data.get("conflicts") or "").split()
        self.choosing = [name for name in names if name in self.fields and name not in NOT_MERGED]
        if not self.choosing:
            return
        current = values_of(self.instance)
        data = _mutable(self.data)
        for name in self.choosing:
            if data.get(f"keep_{name}") == "theirs" and name in current:
                _set_value(data, self.fields[name], name, current[name])
        self.data = data

    def clean(self) -> dict[str, Any]:
        super().clean()
        unchosen = [
            name
            for name in self.choosing
            if self.data.get(f"keep_{name}") not in ("theirs", "yours")
        ]
        if unchosen:
            current = values_of(self.instance)
            for name in unchosen:
                self.add_error(name, _("Choose which to keep: what they saved or what you typed."))
            self.differences = [
                self._difference(name, current.get(name, ""), normalized(self[name].data), "choose")
                for name in self.choosing
            ]
        return self.cleaned_data

    @property
    def seen_version(self) -> int:
        return self.cleaned_data["version"] or 0

    @property
    def changed_fields(self) -> list[str]:
        """The names of the fields the editor changed, for the audit event."""
        return [name for name in self.changed_data if name not in NOT_MERGED]

    def _difference(self, name: str, theirs: Value, yours: Value, outcome: Outcome) -> Difference:
        field = self.fields[name]
        return Difference(
            name=name,
            label=str(field.label or name),
            theirs=shown(field, theirs),
            yours=shown(field, yours),
            outcome=outcome,
            chosen=str(self.data.get(f"keep_{name}") or ""),
        )

    def saved_unless_conflict(self, save: Callable[[], object], *, thing: str) -> bool:
        """Run `save`; if someone saved the record meanwhile, merge the two edits into the form,
        explain the conflict above them, and return False."""
        try:
            save()
        except EditConflict:
            self.add_error(None, conflict_message(thing))
            self._merge_with_current()
            return False
        return True

    def _merge_with_current(self) -> None:
        """Three-way merge of what was typed with what is saved now, from the ancestor kept when
        the form was opened. The form then carries the current version with the merged values,
        and the fields both changed wait for a choice."""
        current = type(self.instance)._default_manager.get(pk=self.instance.pk)
        theirs = values_of(current)
        base = edit_base_of(current, version=self.seen_version) or {}
        data = _mutable(self.data)
        choose = []
        self.differences = []
        for name in self.fields:
            if name in NOT_MERGED or name not in theirs:
                continue
            yours = normalized(self.cleaned_data.get(name))
            if yours == theirs[name]:
                continue
            outcome: Outcome
            if name in base and yours == base[name]:
                outcome = "theirs"  # only they changed it: take their value
                _set_value(data, self.fields[name], name, theirs[name])
            elif name in base and theirs[name] == base[name]:
                outcome = "yours"  # only you changed it: it stays as typed
            else:
                outcome = "choose"
                choose.append(name)
            self.differences.append(self._difference(name, theirs[name], yours, outcome))
        data["version"] = str(current.version)
        data["conflicts"] = " ".join(choose)
        # A choice made on an earlier round does not carry over to a new disagreement.
        for name in self.fields:
            data.pop(f"keep_{name}", None)
        self.data = data
        self.choosing = choose
        self.differences = [replace(difference, chosen="") for difference in self.differences]
        # The ancestor of the form now shown, should yet another save come first.
        edit_base_keep(current)

    def current_version(self) -> int:
        """The version saved by whoever saved last."""
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
    form holds the merge of both edits, explains it with `conflict_message(thing)`, lists the
    differences side by side (`form.differences`), and False lets the view render it again,
    like an invalid form. Opening the form keeps the record's values as the ancestor of a merge.
    """
    if request.method != "POST":
        if not form.instance._state.adding:
            edit_base_keep(form.instance)
        return False
    if not form.is_valid():
        return False
    if not form.saved_unless_conflict(save, thing=thing):
        return False
    if success is not None:
        messages.success(request, success)
    return True
