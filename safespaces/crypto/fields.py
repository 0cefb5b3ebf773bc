"""Encrypted model fields.

Values are sealed in `pre_save`, where the row is known, and opened lazily by a descriptor when
code first reads the attribute, so a list page decrypts only what it shows. Queries cannot look
inside ciphertext, so every lookup except `isnull` raises, and so do `update()` and
`bulk_update()`, which would otherwise write plaintext or silently match nothing.

A model with encrypted fields needs a UUID primary key assigned in Python (`default=uuid.uuid4`):
the key is part of what each ciphertext is bound to. The system check `crypto.E002` enforces it.
"""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django import forms
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.functional import cached_property

from safespaces.crypto.cipher import BINARY_VERSION, open_binary, open_sealed, seal_binary

_BINARY_HEAD = bytes([BINARY_VERSION])


class EncryptedFieldError(Exception):
    """An operation that cannot work on encrypted data was attempted."""


class Sealed:
    """A value as read from the database, not opened yet: bytes in the binary format, or the
    base64 text of a value sealed before values were stored as bytes."""

    __slots__ = ("token",)

    def __init__(self, token: bytes | str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "<Sealed>"


class Ciphertext(bytes):
    """A value sealed by `pre_save`: the only thing an encrypted column accepts."""


# The rows whose encrypted values were opened inside an `openings()` block, by name: the audit
# layer turns them into one event per response, so what a page shows is recorded without each
# view having to remember it. Names, not instances: a long export would otherwise keep every
# decrypted row alive until the response is sent.
RowName = tuple[str, str]
_opened: ContextVar[set[RowName] | None] = ContextVar("opened_rows", default=None)


def row_name(instance: models.Model) -> RowName:
    """A row as the audit trail names it: model label and primary key (its public code)."""
    return instance._meta.label_lower, str(instance.pk)


@contextmanager
def openings() -> Iterator[set[RowName]]:
    """Collect the name of every row whose encrypted value is opened (with content) inside the
    block."""
    opened: set[RowName] = set()
    token = _opened.set(opened)
    try:
        yield opened
    finally:
        _opened.reset(token)


def _note_opened(opened: set[RowName], instance: models.Model, value: Any) -> None:
    # An empty value shows nothing: only rows with content count as shown.
    if value not in (None, "", [], {}):
        opened.add(row_name(instance))


def note_shown(model: type[models.Model], pk: Any) -> None:
    """Count a row as shown by this response, for a value opened with `open_unnoted` (a label
    kept by a search) that the response does show."""
    opened = _opened.get()
    if opened is not None:
        opened.add((model._meta.label_lower, str(pk)))


def open_unnoted(instance: models.Model, name: str) -> Any:
    """Open one encrypted value of a row without counting the row as shown.

    For a search, which opens names to match them but shows only a few: the caller calls
    `note_shown` for those it shows, so the audit trail names what was seen, not what was read.
    """
    field = instance._meta.get_field(name)
    if not isinstance(field, EncryptedMixin):
        raise EncryptedFieldError(f"{instance._meta.label}.{name} is not encrypted")
    stored = instance.__dict__.get(field.attname)
    return field.open_value(instance, stored) if isinstance(stored, Sealed) else stored


class EncryptedAttribute(DeferredAttribute):
    """Opens a sealed value on first read and keeps the plaintext on the instance.

    It defines __set__ to be a data descriptor: Django's DeferredAttribute is not, so a value
    already in the instance's __dict__ would otherwise be returned without passing through here.
    """

    field: "EncryptedMixin"

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value

    def __get__(self, instance: models.Model | None, cls: type | None = None) -> Any:
        if instance is None:
            return self
        attname = self.field.attname
        try:
            value = instance.__dict__[attname]
        except KeyError:  # deferred: Django loads it
            value = super().__get__(instance, cls)
        if value.__class__ is Sealed:
            value = self.field.open_value(instance, value)
            instance.__dict__[attname] = value
            opened = _opened.get()
            if opened is not None:
                _note_opened(opened, instance, value)
        return value


if TYPE_CHECKING:
    # What the mixin is combined with, so the type checker knows its name, model and lookups.
    _Field = models.Field[Any, Any]
else:
    _Field = object


class EncryptedMixin(_Field):
    descriptor_class = EncryptedAttribute
    encrypted = True

    def get_internal_type(self) -> str:
        # Ciphertext is bytes, longer than the value: always a binary column (bytea, BLOB).
        return "BinaryField"

    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode("utf-8")

    def from_bytes(self, data: bytes) -> Any:
        return data.decode("utf-8")

    @cached_property
    def _place(self) -> bytes:
        # The model and the field, computed once: the row's key is added for each value.
        return f"{self.model._meta.label}\x1f{self.name}\x1f".encode()

    @cached_property
    def _pk_attname(self) -> str:
        return self.model._meta.pk.attname

    def associated_data(self, instance: models.Model) -> bytes:
        """The model, the field and the row's key (16 bytes of its UUID): what a value is bound
        to in the binary format."""
        pk = instance.__dict__.get(self._pk_attname)
        if isinstance(pk, uuid.UUID):
            return self._place + pk.int.to_bytes(16)
        if pk is None:
            raise EncryptedFieldError(f"{instance._meta.label} has no primary key yet")
        return self._place + uuid.UUID(str(pk)).bytes

    def text_associated_data(self, instance: models.Model) -> bytes:
        """What a value sealed as text was bound to: the row's key as text."""
        if instance.pk is None:
            raise EncryptedFieldError(f"{instance._meta.label} has no primary key yet")
        return f"{instance._meta.label}\x1f{self.name}\x1f{instance.pk}".encode()

    def open_value(self, instance: models.Model, sealed: Sealed) -> Any:
        token = sealed.token
        if isinstance(token, bytes) and token[:1] == _BINARY_HEAD:
            # associated_data's common case written out: a page may open thousands of values.
            pk = instance.__dict__.get(self._pk_attname)
            if isinstance(pk, uuid.UUID):
                associated_data = self._place + pk.int.to_bytes(16)
            else:
                associated_data = self.associated_data(instance)
            data = open_binary(token, associated_data=associated_data)
        else:
            # Sealed as base64 text: SQLite keeps it as text, Postgres as the text's bytes since
            # the column became binary. It opens as it always did, until rotate_keys re-seals it.
            text = token.decode("ascii", errors="replace") if isinstance(token, bytes) else token
            data = open_sealed(text, associated_data=self.text_associated_data(instance))
        return self.from_bytes(data)

    def seal_value(self, instance: models.Model, value: Any) -> Ciphertext | None:
        if value is None:
            return None
        return Ciphertext(
            seal_binary(self.to_bytes(value), associated_data=self.associated_data(instance))
        )

    def from_db_value(
        self, value: bytes | memoryview | str | None, expression: object, connection: object
    ) -> Any:
        if value is None:
            return None
        return Sealed(bytes(value) if isinstance(value, memoryview) else value)

    def pre_save(self, model_instance: models.Model, add: bool) -> Ciphertext | None:
        return self.seal_value(model_instance, getattr(model_instance, self.attname))

    def get_db_prep_save(self, value: Any, connection: object) -> bytes | None:
        if value is None or isinstance(value, Ciphertext):
            return None if value is None else bytes(value)
        raise EncryptedFieldError(
            f"{self.model._meta.label}.{self.name} is encrypted: change it on the instance and "
            "call save(); update() and bulk_update() cannot seal values"
        )

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise EncryptedFieldError(
            f"{self.model._meta.label}.{self.name} is encrypted and cannot be searched with "
            f"'{lookup_name}'; use a blind index for exact matches"
        )

    def get_transform(self, lookup_name: str) -> Any:
        raise EncryptedFieldError(f"{self.model._meta.label}.{self.name} is encrypted")


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Free text: notes, descriptions, accounts in the person's own words."""


class EncryptedCharField(EncryptedMixin, models.CharField):
    """Short text (names, phone numbers); max_length limits input, not the column."""

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class,
            choices_form_class=choices_form_class,
            **{"widget": forms.TextInput, **kwargs},
        )


class EncryptedJSONField(EncryptedMixin, models.JSONField):
    """Structured values: lists of contact channels, small records. 0 and False round-trip."""

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, cls=self.encoder, separators=(",", ":")).encode("utf-8")

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data, cls=self.decoder)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedMixin]:
    return [field for field in model._meta.concrete_fields if isinstance(field, EncryptedMixin)]
