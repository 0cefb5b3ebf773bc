"""Pickers that search instead of listing: a place, an actor or people, found by what one types.

A form renders only what is chosen already and, after a search, at most LIMIT matches; it never
lists a whole table. Names are encrypted, so the database cannot search them: a search reads
every candidate's name from a per-process cache of labels (`cached_names`), keyed by row and by
when the row last changed, so each name is decrypted once per process rather than on every
request. Only the matches shown count as shown for the audit trail (see `note_shown`).

The same fragment (`widgets/_picker_matches.html`) is rendered by the form after a plain "Find"
(without JavaScript) and by each type's search view, which `static/js/picker.js` asks as one
types. See docs/development.md, "Pickers".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorDict
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import render

from safespaces.access import AuthenticatedHttpRequest
from safespaces.audit.disclosure import opened_names
from safespaces.audit.services import audit_list
from safespaces.crypto.fields import note_shown, open_unnoted
from safespaces.forms import Legend

# The most matches a search shows: enough to choose from, few enough for a phone's screen.
LIMIT = 20
# Longer than any name a person would type; a longer query is cut, not refused.
QUERY_MAX = 80
# The input names a search view may render its matches under (a form field's name, prefixed
# in a formset: "threats-0-source").
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,59}$")


@dataclass(frozen=True)
class Match:
    value: str
    label: str
    # The row whose decrypted name the label holds, if any (see `decrypted_names`): a response
    # that shows the match counts that row as shown (see `shown_without`).
    names: tuple[type[models.Model], Any] | None = None


@dataclass(frozen=True)
class Matches:
    """What a search found: at most LIMIT matches, and whether more matched."""

    query: str
    found: list[Match]
    more: bool


Search = Callable[[str], Matches]

# --- The labels cache ------------------------------------------------------------------------

# (model label, primary key) -> (the row's stamp, its decrypted name). A name is kept per process
# until its row changes: every change goes through save(), which bumps `updated_at` and the
# version (encrypted fields refuse update()). Names of places and actors are shown to everyone
# who picks them; addresses, notes and identities never enter this cache.
_names: dict[tuple[str, Any], tuple[tuple[int, datetime], str]] = {}
# A bound on memory: an organization has hundreds of places and actors, not this many.
CACHE_MAX = 50_000


def cached_names(
    rows: models.QuerySet[Any], *, name: str, plain: str
) -> list[tuple[Any, str, str]]:
    """(primary key, decrypted `name`, value of the unencrypted column `plain`) for every row.

    Two queries at most: one for stamps, and one for the ciphertexts of the rows whose name is not
    cached at its current stamp. Nothing is counted as shown (see `note_shown`).
    """
    model = rows.model
    label = model._meta.label_lower
    stamped = list(rows.values_list("pk", "version", "updated_at", plain))
    missing = [
        pk
        for pk, version, updated_at, _plain in stamped
        if _names.get((label, pk), (None, ""))[0] != (version, updated_at)
    ]
    # This call's names are gathered here first: another search (or the bound below) may empty
    # the shared cache meanwhile, and a name must not go missing from this answer.
    names = {pk: _names.get((label, pk), (None, ""))[1] for pk in {row[0] for row in stamped}}
    if missing:
        stored = model._default_manager.filter(pk__in=missing).only("version", "updated_at", name)
        opened = {
            # Read past the field's descriptor, which would count the row as shown.
            row.pk: ((row.version, row.updated_at), open_unnoted(row, name) or "")
            for row in stored
        }
        names.update({pk: text for pk, (_stamp, text) in opened.items()})
        if len(_names) + len(opened) > CACHE_MAX:
            _names.clear()
        _names.update({(label, pk): entry for pk, entry in opened.items()})
    return [(pk, names[pk], value) for pk, _v, _u, value in stamped]


def forget_cached_names() -> None:
    """Empty the cache (for tests that count decryptions)."""
    _names.clear()


# --- Matching --------------------------------------------------------------------------------


def normalized(query: str) -> str:
    return " ".join(query.split())[:QUERY_MAX].casefold()


def _rank(label: str, query: str) -> tuple[int, int]:
    """Best first: the label starts with what was typed; then the fewer words typed that only
    match inside a word ("7" in "17"), the better."""
    folded = label.casefold()
    starts = [token for token in re.split(r"[\s()]+", folded) if token]
    inside = sum(1 for word in query.split() if not any(token.startswith(word) for token in starts))
    return (0 if folded.startswith(query) else 1, inside)


def best_matches(labels: Sequence[tuple[Any, str]], query: str) -> Matches:
    """The labels that hold every word of the query, best first, at most LIMIT. An empty query
    matches everything: "Find" with nothing typed shows the first LIMIT by name."""
    wanted = normalized(query)
    words = wanted.split()
    found = [(pk, label) for pk, label in labels if all(word in label.casefold() for word in words)]
    found.sort(key=lambda item: (*_rank(item[1], wanted), item[1].casefold()))
    shown = [Match(str(pk), label) for pk, label in found[:LIMIT]]
    return Matches(query=query, found=shown, more=len(found) > LIMIT)


def decrypted_names(model: type[models.Model], matches: Matches) -> Matches:
    """Say that each match is labelled with the decrypted name of `model`'s row of its value. A
    search over encrypted names returns its matches through this, so that whatever shows them
    counts those it shows (see `shown_without`)."""
    return replace(matches, found=[replace(m, names=(model, m.value)) for m in matches.found])


def shown_without(matches: Matches, chosen: set[str]) -> Matches:
    """The matches a picker shows: those not chosen already. Each one labelled with a decrypted
    name counts as shown by this response, so its audit event names what was seen, not what the
    search read or what the picker left out."""
    found = [match for match in matches.found if match.value not in chosen]
    for match in found:
        if match.names is not None:
            note_shown(*match.names)
    return replace(matches, found=found)


# --- The widget ------------------------------------------------------------------------------


class Picker(forms.Widget):
    """What is chosen (as radio buttons or ticks), a search box with a "Find" button, and after a
    search its matches as more radio buttons or ticks. Only the chosen rows are read from the
    field's queryset; the field still checks any posted value against all of it.

    The form sets `query` (what was typed in the search box, None when nothing was searched) and
    the field gives `matches` (see PickerField).
    """

    template_name = "widgets/picker.html"
    use_fieldset = True

    def __init__(self, *, url: str, multiple: bool, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.url = url
        self.allow_multiple_selected = multiple
        self.query: str | None = None
        self.empty_label: Legend | None = None
        self.search_label: Legend = ""
        # In a filter (a GET form): the id of the POST form its search box and "Find" belong to
        # (see `find_in`), so what is typed never goes in the address with the filters.
        self.find_form: str | None = None
        # Where a plain "Find" sends the form, when not to the page's own address (a form
        # embedded in another page, sent to its own view).
        self.find_action = ""
        # The field's ModelChoiceIterator, set with its queryset: `choices.field` is the field.
        self.choices: Any = None

    @staticmethod
    def chosen_values(value: Any) -> list[str]:
        if value is None or value == "":
            return []
        values = value if isinstance(value, list | tuple) else [value]
        return [str(v) for v in values if v not in (None, "")]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        if self.allow_multiple_selected:
            getter = getattr(data, "getlist", None)
            return getter(name) if getter else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        # An unticked list sends nothing: that is a choice of no one, not an omission.
        return False if self.allow_multiple_selected else name not in data

    def id_for_label(self, id_: str) -> str:
        # The legend names the group; the search box has its own label.
        return ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        field = getattr(self.choices, "field", None)
        if not isinstance(field, PickerField):
            raise TypeError("a Picker is given to its field by use_picker")
        chosen = field.chosen(self.chosen_values(value))
        matches = None
        if self.query is not None:
            matches = shown_without(field.matches(self.query), {match.value for match in chosen})
        context["picker"] = {
            "url": self.url,
            "multiple": self.allow_multiple_selected,
            "input_type": "checkbox" if self.allow_multiple_selected else "radio",
            "empty_label": None if self.allow_multiple_selected else self.empty_label,
            "search_label": self.search_label,
            "find_form": self.find_form,
            "find_action": self.find_action,
            "chosen": chosen,
            "query": self.query or "",
            "matches": matches,
            "required": self.is_required,
            # Shown only while another answer holds a value (static/js/show-when.js).
            "show_when": self.attrs.get("data-show-when"),
        }
        return context


class PickerField(forms.ModelChoiceField):
    """A model choice field that can search: the labels of what is chosen, and the matches of a
    query among its queryset. Put first in the bases, before ModelMultipleChoiceField for one
    that picks several."""

    def offered(self) -> models.QuerySet[Any]:
        """What may be chosen: the queryset a posted value is checked against."""
        if self.queryset is None:
            raise ValueError(f"{type(self).__name__} has no queryset")
        return self.queryset

    def chosen(self, values: list[str]) -> list[Match]:
        if not values:
            return []
        try:
            rows = list(self.offered().filter(pk__in=values))
        except (ValueError, TypeError, ValidationError):
            return []  # a posted value that is not a key: the field says so, nothing is chosen
        return [Match(str(row.pk), str(self.label_from_instance(row))) for row in rows]

    def matches(self, query: str) -> Matches:
        raise NotImplementedError


def use_picker(
    field: forms.Field,
    *,
    url: str,
    search_label: Legend,
    empty_label: Legend | None = None,
    find_form: str | None = None,
    find_action: str = "",
) -> None:
    """Give a model choice field that can search (a PickerField) a Picker instead of its list.
    `search_label` names the search box: say what one may type. A filter (a GET form) names
    the POST form its search belongs to, `find_form` (see `find_in`). A form sent to another
    address than its page's gives that address, `find_action`, for a plain "Find"."""
    if not isinstance(field, PickerField):
        raise TypeError(f"{type(field).__name__} cannot search")
    multiple = isinstance(field, forms.ModelMultipleChoiceField)
    picker = Picker(url=url, multiple=multiple)
    picker.is_required = field.required
    picker.empty_label = empty_label
    picker.search_label = search_label
    picker.find_form = find_form
    picker.find_action = find_action
    picker.choices = field.choices
    field.widget = picker


def is_searching(field: forms.Field) -> bool:
    """Whether the field's picker shows the matches of a search (after a plain "Find")."""
    return isinstance(field.widget, Picker) and field.widget.query is not None


def searched_in(form: forms.BaseForm, data: Any) -> None:
    """Show matches under every picker whose search box holds text, or whose "Find" was pressed
    with nothing typed (the first LIMIT), after a plain "Find" without JavaScript."""
    pressed = data.get("find", "")
    for name, field in form.fields.items():
        if isinstance(field.widget, Picker):
            # The input's name, as the widget renders it: prefixed in a formset.
            named = form.add_prefix(name)
            typed = str(data.get(f"{named}_find", ""))[:QUERY_MAX]
            if typed.strip() or pressed == named:
                field.widget.query = typed


# The POST form a filter's pickers search with (templates/widgets/_filter_find.html).
FILTER_FIND = "filter-find"


def find_in(form: forms.BaseForm, request: HttpRequest) -> None:
    """A filter's picker after a plain "Find" (without JavaScript): its search box and button
    belong to a small POST form of their own (FILTER_FIND), sent to the page's own address, so
    what is typed goes in a body and never in the address with the filters, and the filters
    stay those of the address. The page shows again, with the matches under the picker."""
    if request.method == "POST":
        searched_in(form, request.POST)


P = ParamSpec("P")
R = TypeVar("R", bound=HttpRequest)


def require_safe_or_find(
    view: Callable[Concatenate[R, P], HttpResponse],
) -> Callable[Concatenate[R, P], HttpResponse]:
    """A page with filters takes GET and HEAD, and a POST only as a filter's "Find" (see
    `find_in`), which changes nothing; any other request is refused (405)."""

    @wraps(view)
    def wrapped(request: R, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        finding = request.method == "POST" and "find" in request.POST
        if request.method not in ("GET", "HEAD") and not finding:
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        return view(request, *args, **kwargs)

    return wrapped


F = TypeVar("F", bound=forms.BaseForm)


def searched_form(form_class: Callable[..., F], data: QueryDict, **kwargs: Any) -> F:
    """The form sent with a picker's "Find" (without JavaScript), to show again: unbound, so
    nothing is marked wrong before it is sent, with every value as it was typed (the version
    the editor opened included) and the matches under the pickers that searched."""
    form = form_class(**kwargs)
    multiple = (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)
    for name, field in form.fields.items():
        if name in data:
            values = data.getlist(name)
            form.initial[name] = values if isinstance(field, multiple) else values[-1]
        # An unticked box or list sends nothing: it is empty now, whatever was saved.
        elif isinstance(field, forms.BooleanField):
            form.initial[name] = False
        elif isinstance(field, multiple):
            form.initial[name] = []
    searched_in(form, data)
    return form


FS = TypeVar("FS", bound=forms.BaseFormSet)


def searched_formset(formset: FS, data: QueryDict) -> FS:
    """A formset sent with a picker's "Find" (without JavaScript), to show again: bound to what
    was sent, so every row stays as typed (rows added or marked for deletion included), but
    left unchecked, so nothing is marked wrong before it is sent; the matches show under the
    picker that searched. Unbound forms could not keep an added row. Only the formset's own
    checks still run (how many rows): they are about the whole list, not about a row half typed."""
    for form in formset.forms:
        form._errors = ErrorDict()
        form.cleaned_data = {}
        searched_in(form, data)
    return formset


def matches_response(
    request: AuthenticatedHttpRequest,
    model: type[models.Model],
    search: Callable[[str], Matches],
) -> HttpResponse:
    """The matches of what was posted, as the fragment the picker script puts under the box.

    The query comes in the body of a POST, never in the address: what someone types (part of a
    shelter's name, of an abuser's) must not reach access logs, the history or a Referer.
    """
    name = str(request.POST.get("name", ""))
    if not FIELD_NAME.match(name):
        return HttpResponse(status=400)
    query = str(request.POST.get("q", ""))[:QUERY_MAX]
    matches = shown_without(search(query), set(request.POST.getlist("chosen")))
    if opened_names():
        # One listing event naming each match shown with its decrypted name.
        audit_list(request, object_type=model._meta.label_lower)
    context = {
        "name": name,
        "input_type": "checkbox" if request.POST.get("multiple") else "radio",
        "matches": matches,
    }
    return render(request, "widgets/_picker_matches.html", context)
