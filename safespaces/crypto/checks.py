"""System checks: the app does not run with unusable keys or unbindable encrypted models."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models

from safespaces.crypto.fields import encrypted_fields
from safespaces.crypto.keycheck import field_keys_status
from safespaces.crypto.keys import key_problems


@checks.register(checks.Tags.security)
def check_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    problems = key_problems(
        secret_key=settings.SECRET_KEY,
        field_keys=settings.FIELD_ENCRYPTION_KEYS,
        blind_index_key=settings.BLIND_INDEX_KEY,
        audit_key=settings.AUDIT_KEY,
    )
    return [checks.Error(problem, id="crypto.E001") for problem in problems]


@checks.register(checks.Tags.models)
def check_encrypted_models(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for model in apps.get_models():
        if not encrypted_fields(model):
            continue
        pk = model._meta.pk
        # has_default() first: NOT_PROVIDED, the marker for "no default", is a class and callable.
        if not isinstance(pk, models.UUIDField) or not (pk.has_default() and callable(pk.default)):
            errors.append(
                checks.Error(
                    f"{model._meta.label} has encrypted fields, so its primary key must be a "
                    "UUIDField with a callable default (each ciphertext is bound to it).",
                    obj=model,
                    id="crypto.E002",
                )
            )
    return errors


@checks.register(checks.Tags.database)
def check_keys_open_the_data(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """`check --database default` and `migrate` refuse keys that do not open the stored data."""
    if not databases:
        return []
    problem = field_keys_status(record=False)
    if problem is None:
        return []
    return [
        checks.Error(
            f"{problem}. Restore the keys from your key backup: new keys cannot open data "
            "sealed under the old ones.",
            id="crypto.E003",
        )
    ]
