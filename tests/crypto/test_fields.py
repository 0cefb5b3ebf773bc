"""Encrypted model fields through the ORM: what round-trips, what is stored, what is refused.

Most tests use `Secret` (tests/crypto/support.py), a test-only model with one field of each type;
the accounts tests use the one real encrypted field, User.display_name.
"""

import uuid
from typing import Any

import pytest
from django import forms
from django.db import models, transaction
from django.test.utils import isolate_apps

from safespaces.accounts.models import User
from safespaces.crypto import checks
from safespaces.crypto.cipher import DecryptionError, key_id_of, key_ring
from safespaces.crypto.fields import (
    EncryptedFieldError,
    EncryptedTextField,
    Sealed,
    encrypted_fields,
)
from tests.crypto.support import Secret, raw_value, write_raw
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("secrets_db")


def reloaded(secret: Secret) -> Secret:
    return Secret.objects.get(pk=secret.pk)


# --- Round trips --------------------------------------------------------------------------------


def test_values_round_trip_through_the_orm() -> None:
    secret = Secret.objects.create(
        title="Safe contact: Mariam",
        body="Moved on 3 May.\nDo not call before 6 pm.",
        data={"phones": ["+44 20 7946 0000"], "safe_to_text": True, "children": 2},
    )

    loaded = reloaded(secret)

    assert loaded.title == "Safe contact: Mariam"
    assert loaded.body == "Moved on 3 May.\nDo not call before 6 pm."
    assert loaded.data == {"phones": ["+44 20 7946 0000"], "safe_to_text": True, "children": 2}


def test_non_ascii_text_round_trips() -> None:
    secret = Secret.objects.create(title="مريم", body="Zoë — 日本語 🙂")

    assert (reloaded(secret).title, reloaded(secret).body) == ("مريم", "Zoë — 日本語 🙂")


@pytest.mark.parametrize("value", [None, ""], ids=["None", "empty string"])
def test_empty_text_values_round_trip(value: str | None) -> None:
    secret = Secret.objects.create(title=value, body=value)

    assert reloaded(secret).title == value
    assert reloaded(secret).body == value


@pytest.mark.parametrize("value", [None, "", 0, False, [], {}, 0.0], ids=repr)
def test_falsy_json_values_round_trip(value: Any) -> None:
    secret = Secret.objects.create(data=value)

    loaded = reloaded(secret).data

    assert loaded == value
    assert type(loaded) is type(value)


def test_none_is_stored_as_null_and_empty_string_is_sealed() -> None:
    # NULL says only "no value"; an empty string is a value and gets sealed like any other.
    secret = Secret.objects.create(title=None, body="")

    assert raw_value(Secret, "title", secret.pk) is None
    assert key_id_of(raw_value(Secret, "body", secret.pk)) == key_ring().primary_id


def test_changing_a_value_and_saving_reseals_it() -> None:
    secret = Secret.objects.create(body="first")
    first_token = raw_value(Secret, "body", secret.pk)

    secret.body = "second"
    secret.save()

    assert raw_value(Secret, "body", secret.pk) != first_token
    assert reloaded(secret).body == "second"


def test_the_field_api_seals_and_opens_for_a_given_instance() -> None:
    secret = Secret()
    field = Secret._meta.get_field("data")

    token = field.seal_value(secret, {"canary": "field api"})

    assert b"field api" not in token
    assert field.open_value(secret, Sealed(token)) == {"canary": "field api"}
    assert field.seal_value(secret, None) is None


def test_it_refuses_to_seal_for_an_instance_without_a_primary_key() -> None:
    secret = Secret(pk=None)

    with pytest.raises(EncryptedFieldError, match="has no primary key"):
        Secret._meta.get_field("body").seal_value(secret, "value")


# --- What is stored -----------------------------------------------------------------------------


def test_the_raw_columns_hold_no_plaintext() -> None:
    secret = Secret.objects.create(
        title="canary-title", body="canary-body", data={"canary": "canary-data"}
    )

    for name in ("title", "body", "data"):
        stored = raw_value(Secret, name, secret.pk)
        assert b"canary" not in stored
        assert key_id_of(stored) == key_ring().primary_id


def test_user_display_names_are_stored_encrypted() -> None:
    user = UserFactory(display_name="Amina Yusuf")

    stored = raw_value(User, "display_name", user.pk)

    assert b"Amina" not in stored
    assert User.objects.get(pk=user.pk).display_name == "Amina Yusuf"


def test_values_are_decrypted_only_when_read() -> None:
    secret = Secret.objects.create(title="title", body="body")

    loaded = reloaded(secret)

    assert isinstance(loaded.__dict__["title"], Sealed)
    assert isinstance(loaded.__dict__["body"], Sealed)
    assert loaded.title == "title"
    assert loaded.__dict__["title"] == "title"
    # Reading one field opens only that one.
    assert isinstance(loaded.__dict__["body"], Sealed)


def test_a_sealed_value_does_not_show_its_token_in_repr() -> None:
    assert repr(Sealed("c2VjcmV0")) == "<Sealed>"


def test_a_ciphertext_copied_to_another_row_does_not_open() -> None:
    original = Secret.objects.create(body="belongs to the first row")
    other = Secret.objects.create(body="belongs to the second row")
    write_raw(Secret, "body", other.pk, raw_value(Secret, "body", original.pk))

    loaded = reloaded(other)

    with pytest.raises(DecryptionError):
        loaded.body  # noqa: B018


def test_a_ciphertext_copied_to_another_field_does_not_open() -> None:
    secret = Secret.objects.create(title="a title", body="a body")
    write_raw(Secret, "title", secret.pk, raw_value(Secret, "body", secret.pk))

    loaded = reloaded(secret)

    with pytest.raises(DecryptionError):
        loaded.title  # noqa: B018
    assert loaded.body == "a body"


def test_a_display_name_copied_to_another_user_does_not_open() -> None:
    amina, rosa = UserFactory(display_name="Amina"), UserFactory(display_name="Rosa")
    write_raw(User, "display_name", rosa.pk, raw_value(User, "display_name", amina.pk))

    with pytest.raises(DecryptionError):
        User.objects.get(pk=rosa.pk).display_name  # noqa: B018


def test_plaintext_written_behind_the_orms_back_is_refused_not_shown() -> None:
    # Decryption never falls back to the stored text, or a bad restore would pass unnoticed.
    secret = Secret.objects.create(body="sealed")
    write_raw(Secret, "body", secret.pk, "written in clear")

    with pytest.raises(DecryptionError):
        reloaded(secret).body  # noqa: B018


def test_the_str_of_a_user_shows_no_display_name() -> None:
    # __str__ ends up in the admin log and on error pages, which are stored in clear.
    user = UserFactory(username="u-4821", display_name="Amina Yusuf")

    assert "Amina" not in str(user)
    assert "Amina" not in repr(user)


# --- What is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [
        {"body": "value"},
        {"body__exact": "value"},
        {"title__iexact": "value"},
        {"body__icontains": "value"},
        {"title__startswith": "value"},
        {"title__in": ["value"]},
        {"title": None},
        {"data__canary": "value"},
        {"data__has_key": "canary"},
    ],
    ids=lambda lookup: next(iter(lookup)),
)
def test_it_refuses_lookups_on_encrypted_fields(lookup: dict[str, Any]) -> None:
    with pytest.raises(EncryptedFieldError, match="is encrypted"):
        Secret.objects.filter(**lookup)


def test_it_refuses_lookups_on_the_display_name() -> None:
    with pytest.raises(EncryptedFieldError, match="use a blind index"):
        User.objects.filter(display_name__icontains="amina")


def test_it_refuses_excludes_on_encrypted_fields() -> None:
    with pytest.raises(EncryptedFieldError):
        Secret.objects.exclude(body="value")


def test_isnull_lookups_work() -> None:
    empty = Secret.objects.create(body=None)
    full = Secret.objects.create(body="value")

    assert list(Secret.objects.filter(body__isnull=True)) == [empty]
    assert list(Secret.objects.filter(body__isnull=False)) == [full]


def test_it_refuses_queryset_update_of_an_encrypted_field() -> None:
    secret = Secret.objects.create(body="before")

    # The savepoint keeps the test's transaction usable after the error, as in a view.
    with pytest.raises(EncryptedFieldError, match="update"), transaction.atomic():
        Secret.objects.filter(pk=secret.pk).update(body="after")

    assert raw_value(Secret, "body", secret.pk) != "after"
    assert reloaded(secret).body == "before"


def test_queryset_update_of_other_fields_still_works() -> None:
    user = UserFactory(display_name="Lin")

    User.objects.filter(pk=user.pk).update(is_active=False)

    assert User.objects.get(pk=user.pk).is_active is False


@pytest.mark.parametrize("name", ["title", "body", "data"])
def test_it_refuses_bulk_update_of_an_encrypted_field(name: str) -> None:
    secret = Secret.objects.create(title="before", body="before", data="before")
    setattr(secret, name, "after")

    with pytest.raises(EncryptedFieldError, match="cannot seal"), transaction.atomic():
        Secret.objects.bulk_update([secret], [name])

    assert getattr(reloaded(secret), name) == "before"


def test_bulk_create_seals_every_value() -> None:
    Secret.objects.bulk_create(
        [Secret(title=f"title {n}", body=f"body {n}", data={"n": n}) for n in range(3)]
    )

    loaded = sorted(Secret.objects.all(), key=lambda secret: secret.data["n"])

    assert [(s.title, s.body, s.data) for s in loaded] == [
        (f"title {n}", f"body {n}", {"n": n}) for n in range(3)
    ]
    assert all(b"title" not in raw_value(Secret, "title", s.pk) for s in loaded)


# --- Forms --------------------------------------------------------------------------------------


class SecretForm(forms.ModelForm):
    class Meta:
        model = Secret
        fields = ["title", "body", "data"]


def test_a_model_form_shows_the_decrypted_values() -> None:
    secret = Secret.objects.create(title="Safe word", body="Blue door", data={"a": 1})

    form = SecretForm(instance=reloaded(secret))

    assert form.initial == {"title": "Safe word", "body": "Blue door", "data": {"a": 1}}
    assert 'value="Safe word"' in str(form["title"])
    assert "Blue door" in str(form["body"])


def test_a_model_form_saves_a_changed_value_encrypted() -> None:
    secret = Secret.objects.create(title="Safe word", body="Blue door", data={"a": 1})
    form = SecretForm(
        data={"title": "New safe word", "body": "Red door", "data": '{"a": 2}'},
        instance=reloaded(secret),
    )

    assert form.is_valid(), form.errors
    form.save()

    assert b"Red door" not in raw_value(Secret, "body", secret.pk)
    loaded = reloaded(secret)
    assert (loaded.title, loaded.body, loaded.data) == ("New safe word", "Red door", {"a": 2})


def test_a_short_text_field_renders_as_a_single_line_input() -> None:
    # The column is text, but a name or a phone number belongs in an <input>, not a <textarea>.
    assert isinstance(SecretForm().fields["title"].widget, forms.TextInput)
    assert SecretForm().fields["title"].max_length == 200


# --- System check -------------------------------------------------------------------------------


def test_encrypted_fields_lists_only_encrypted_fields() -> None:
    assert [field.name for field in encrypted_fields(Secret)] == ["title", "body", "data"]
    assert [field.name for field in encrypted_fields(User)] == ["display_name"]


def test_the_project_models_pass_the_encrypted_model_check() -> None:
    assert checks.check_encrypted_models() == []


def test_it_flags_encrypted_models_whose_primary_key_is_not_a_generated_uuid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with isolate_apps("safespaces.crypto") as isolated:

        class Diary(models.Model):  # noqa: DJ008 - never shown
            entry = EncryptedTextField()

            class Meta:
                app_label = "crypto"

        class Notebook(models.Model):  # noqa: DJ008 - never shown
            id = models.UUIDField(primary_key=True)  # no default: the pk may not exist yet
            entry = EncryptedTextField()

            class Meta:
                app_label = "crypto"

        class Journal(models.Model):  # noqa: DJ008 - never shown
            id = models.UUIDField(primary_key=True, default=uuid.uuid4)
            entry = EncryptedTextField()

            class Meta:
                app_label = "crypto"

        # No encrypted fields: any primary key will do.
        class Counter(models.Model):  # noqa: DJ008 - never shown
            class Meta:
                app_label = "crypto"

        monkeypatch.setattr(checks, "apps", isolated)
        errors = checks.check_encrypted_models()

    assert [(error.id, error.obj) for error in errors] == [
        ("crypto.E002", Diary),
        ("crypto.E002", Notebook),
    ]
    assert "crypto.Diary has encrypted fields" in errors[0].msg
