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
- Keyed by version, the ancestor is right as long as every write to an edited record bumps its
  version, as `save_if_unchanged`, the incident status change and erasure do.
- A list of rows owned by a record (an assessment's threats) merges the same way row by row: see
  `rows_merged` at the end.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.forms.models import BaseInlineFormSet, model_to_dict
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


def values_of(instance: models.Model) -> dict[str, Value]:
    """Every editable value of the record (many-to-many ones as stored), normalized."""
    return {name: normalized(value) for name, value in model_to_dict(instance).items()}


def _label(instance: models.Model) -> str:
    return str(instance._meta.label_lower)


def _base_keep(*, model: str, object_id: Any, version: int, values: Callable[[], Any]) -> None:
    # No form older than the absolute session lifetime can still be sent: its ancestor can go.
    EditBase.objects.filter(
        created_at__lt=timezone.now() - settings.SESSION_ABSOLUTE_TIMEOUT
    ).delete()
    if EditBase.objects.filter(model=model, object_id=object_id, version=version).exists():
        return
    try:
        with transaction.atomic():
            EditBase.objects.create(
                model=model, object_id=object_id, version=version, values=values()
            )
    except IntegrityError:
        pass  # another editor opened the same version at the same moment and kept it


def _base_of(*, model: str, object_id: Any, version: int) -> Any:
    base = EditBase.objects.filter(model=model, object_id=object_id, version=version).first()
    return base.values if base is not None else None


def edit_base_keep(instance: VersionedModel) -> None:
    """Keep the record's values at its current version as the ancestor of any edit opened now."""
    _base_keep(
        model=_label(instance),
        object_id=instance.pk,
        version=instance.version,
        values=lambda: values_of(instance),
    )


def edit_base_of(instance: VersionedModel, *, version: int) -> dict[str, Value] | None:
    base: dict[str, Value] | None = _base_of(
        model=_label(instance), object_id=instance.pk, version=version
    )
    return base


def edit_bases_forget(instance: VersionedModel) -> None:
    """Delete every kept ancestor of the record: an erased record keeps no old values."""
    EditBase.objects.filter(model__startswith=_label(instance), object_id=instance.pk).delete()


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
        # Whether the last save was refused because someone else saved first.
        self.conflicted = False
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
            self.conflicted = True
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
        # A choice made on an earlier round does not carry over to a new disagreement.
        for name in self.fields:
            data.pop(f"keep_{name}", None)
        self.data = data
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
        self.choosing = choose
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


# --- Lists of rows owned by a versioned record (an assessment's threats, for instance) ----------
#
# The same merge, row by row. The owner's version guards the whole list; the ancestor is the list
# as the page showed it (row id to values), kept under "<owner label>:<prefix>". A row only one
# side changed, added or removed follows that side; a field both changed waits for a choice
# (`keep_<prefix>-<n>-<field>`). A row removed by one and changed by the other is kept, as the
# loss of a change cannot be undone, and the difference says so.


@dataclass(frozen=True)
class RowDifferences:
    """What differs in one row of a list, for the side-by-side view."""

    label: str
    note: str
    differences: list[Difference]


def _rows_key(formset: BaseInlineFormSet) -> str:
    return f"{_label(formset.instance)}:{formset.prefix}"


def _rows_now(formset: BaseInlineFormSet) -> dict[str, dict[str, Value]]:
    """The rows saved now, in their order, from the database rather than the formset's cache."""
    rows = formset.model._default_manager.filter(**{formset.fk.name: formset.instance})
    return {str(row.pk): values_of(row) for row in rows}


def rows_base_keep(formset: BaseInlineFormSet) -> None:
    """Keep the list as shown at the owner's current version, as `edit_base_keep` does."""
    owner = formset.instance
    _base_keep(
        model=_rows_key(formset),
        object_id=owner.pk,
        version=owner.version,
        values=lambda: _rows_now(formset),
    )


def _row_fields(formset: BaseInlineFormSet) -> dict[str, forms.Field]:
    excluded = {"id", "DELETE", "ORDER", formset.fk.name}
    return {
        name: field for name, field in formset.empty_form.fields.items() if name not in excluded
    }


def _typed(field: forms.Field, data: QueryDict, key: str) -> Value:
    """What was typed, normalized as the model would hold it where it is valid."""
    raw = field.widget.value_from_datadict(data, {}, key)
    try:
        return normalized(field.clean(raw))
    except forms.ValidationError:
        return normalized(raw)


class ListChoices:
    """The choices still owed on a list after a conflict, read from a submit of the list page:
    `conflicts` names the keys (`<prefix>-<n>-<field>`) both editors changed."""

    def __init__(self, data: QueryDict, formset_class: Any, **formset_kwargs: Any) -> None:
        # Only this list's keys: a page may hold a form whose own fields share `conflicts`.
        prefix = f"{formset_kwargs['prefix']}-"
        self.keys = [
            key for key in str(data.get("conflicts") or "").split() if key.startswith(prefix)
        ]
        self.unchosen = [key for key in self.keys if data.get(f"keep_{key}") not in THEIRS_YOURS]
        self.data = data
        if self.keys:
            # Where "keep theirs" was chosen, the value saved now goes into the submit.
            probe = formset_class(None, **formset_kwargs)
            current = _rows_now(probe)
            fields = _row_fields(probe)
            self.data = _mutable(data)
            for key in self.keys:
                prefix_index, _sep, name = key.rpartition("-")
                pk = str(data.get(f"{prefix_index}-id") or "")
                if data.get(f"keep_{key}") == "theirs" and pk in current and name in fields:
                    _set_value(self.data, fields[name], key, current[pk][name])

    def differences(self, formset: BaseInlineFormSet) -> list[RowDifferences]:
        """The fields still to choose, side by side, when a submit left some unchosen."""
        current = _rows_now(formset)
        fields = _row_fields(formset)
        rows: dict[str, list[Difference]] = {}
        for key in self.keys:
            prefix_index, _sep, name = key.rpartition("-")
            pk = str(self.data.get(f"{prefix_index}-id") or "")
            if pk not in current or name not in fields:
                continue
            field = fields[name]
            rows.setdefault(prefix_index, []).append(
                Difference(
                    name=key,
                    label=str(field.label or name),
                    theirs=shown(field, current[pk][name]),
                    yours=shown(field, _typed(field, self.data, key)),
                    outcome="choose",
                    chosen=str(self.data.get(f"keep_{key}") or ""),
                )
            )
        return [
            RowDifferences(
                _("Item %(number)d") % {"number": int(prefix_index.rpartition("-")[2]) + 1},
                "",
                differences,
            )
            for prefix_index, differences in rows.items()
        ]


THEIRS_YOURS = ("theirs", "yours")


def rows_merged(
    formset: BaseInlineFormSet, *, seen_version: int
) -> tuple[QueryDict, list[RowDifferences]]:
    """Merge the submitted list with the list saved now, from the ancestor at `seen_version`.

    Returns the list page's data to show again (at the owner's current version, with
    `conflicts` naming the fields to choose) and what differs, row by row.
    """
    owner = formset.instance
    current_version = type(owner)._default_manager.only("version").get(pk=owner.pk).version
    base: dict[str, dict[str, Value]] = (
        _base_of(model=_rows_key(formset), object_id=owner.pk, version=seen_version) or {}
    )
    theirs_rows = _rows_now(formset)
    fields = _row_fields(formset)
    # Always a QueryDict here: the list page binds its formset to request.POST or a copy of it.
    posted, prefix = cast(QueryDict, formset.data), formset.prefix
    total = int(posted.get(f"{prefix}-TOTAL_FORMS") or 0)
    yours_rows: dict[str, tuple[str, bool, dict[str, Value]]] = {}
    new_rows: list[str] = []
    for index in range(min(total, formset.max_num or total)):
        old = f"{prefix}-{index}-"
        pk = str(posted.get(f"{old}id") or "")
        typed = {name: _typed(field, posted, old + name) for name, field in fields.items()}
        if pk:
            yours_rows[pk] = (old, bool(posted.get(f"{old}DELETE")), typed)
        elif formset.forms[index].has_changed() if index < len(formset.forms) else False:
            new_rows.append(old)

    data = QueryDict(mutable=True)
    choose: list[str] = []
    report: list[RowDifferences] = []
    out = 0

    def copy_typed(old: str) -> None:
        for name in fields:
            values = posted.getlist(old + name)
            if values:
                data.setlist(f"{prefix}-{out}-{name}", values)

    def put_theirs(values: dict[str, Value]) -> None:
        for name, field in fields.items():
            if name in values:
                _set_value(data, field, f"{prefix}-{out}-{name}", values[name])

    def start_row(pk: str) -> None:
        data[f"{prefix}-{out}-id"] = pk
        data[f"{prefix}-{out}-{formset.fk.name}"] = str(owner.pk)

    for pk, theirs in theirs_rows.items():
        ancestor = base.get(pk)
        label = _("Item %(number)d") % {"number": out + 1}
        start_row(pk)
        put_theirs(theirs)
        if pk not in yours_rows:
            if ancestor is None:
                report.append(RowDifferences(label, _("They added this item."), []))
            out += 1
            continue
        old, deleted, yours = yours_rows[pk]
        if deleted:
            if ancestor is not None and theirs == ancestor:
                data[f"{prefix}-{out}-DELETE"] = "on"  # only you touched it: it goes
            else:
                report.append(
                    RowDifferences(
                        label,
                        _(
                            "You removed this item and they changed it: it stays. Tick "
                            "“Delete” again to remove it."
                        ),
                        [],
                    )
                )
            out += 1
            continue
        differences = []
        for name, field in fields.items():
            if name not in theirs or yours[name] == theirs[name]:
                continue
            key = f"{prefix}-{out}-{name}"
            outcome: Outcome
            if ancestor is not None and yours[name] == ancestor.get(name):
                outcome = "theirs"
            elif ancestor is not None and theirs[name] == ancestor.get(name):
                outcome = "yours"
                data.setlist(key, posted.getlist(old + name))
                if isinstance(field.widget, forms.CheckboxInput) and not posted.get(old + name):
                    data.pop(key, None)
            else:
                outcome = "choose"
                choose.append(key)
                data.setlist(key, posted.getlist(old + name))
                if isinstance(field.widget, forms.CheckboxInput) and not posted.get(old + name):
                    data.pop(key, None)
            differences.append(
                Difference(
                    name=key,
                    label=str(field.label or name),
                    theirs=shown(field, theirs[name]),
                    yours=shown(field, yours[name]),
                    outcome=outcome,
                )
            )
        if differences:
            report.append(RowDifferences(label, "", differences))
        out += 1
    initial = out
    for pk, (old, deleted, yours) in yours_rows.items():
        if pk in theirs_rows or deleted:
            continue
        ancestor = base.get(pk)
        if ancestor is not None and {n: ancestor.get(n) for n in yours} == yours:
            # They removed a row you left as it was: it stays removed.
            continue
        # They removed a row you changed: your row comes back as a new one.
        label = _("Item %(number)d") % {"number": out + 1}
        data[f"{prefix}-{out}-{formset.fk.name}"] = str(owner.pk)
        copy_typed(old)
        report.append(
            RowDifferences(
                label,
                _(
                    "They removed this item while you changed it: your version is kept as a new "
                    "item. Tick “Delete” to let it go."
                ),
                [],
            )
        )
        out += 1
    for old in new_rows:
        data[f"{prefix}-{out}-{formset.fk.name}"] = str(owner.pk)
        copy_typed(old)
        out += 1
    data[f"{prefix}-TOTAL_FORMS"] = str(out)
    data[f"{prefix}-INITIAL_FORMS"] = str(initial)
    data[f"{prefix}-MIN_NUM_FORMS"] = str(formset.min_num)
    data[f"{prefix}-MAX_NUM_FORMS"] = str(formset.max_num)
    data["version"] = str(current_version)
    data["conflicts"] = " ".join(choose)
    # The ancestor of the list now shown, should yet another save come first.
    owner.version = current_version
    rows_base_keep(formset)
    return data, report
