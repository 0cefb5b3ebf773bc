"""System checks: the app does not run with unusable keys or unbindable encrypted models."""

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import checks
from django.db import DatabaseError, models

from safespaces.audit.models import AuditEvent
from safespaces.crypto.fields import encrypted_fields
from safespaces.crypto.keycheck import field_keys_status
from safespaces.crypto.keys import key_problems
from safespaces.crypto.models import KeyCheck
from safespaces.crypto.services import encrypted_models


def _holds_data() -> bool | None:
    """Whether the database holds anything sealed or recorded under the keys; None when it
    cannot be asked (not reachable, not migrated)."""
    try:
        # Accounts count too: their backup codes are hashed with BLIND_INDEX_KEY.
        return (
            get_user_model().objects.exists()
            or KeyCheck.objects.exists()
            or AuditEvent.objects.exists()
            or any(model._base_manager.exists() for model in encrypted_models())
        )
    except DatabaseError:
        return None


@checks.register(checks.Tags.security)
def check_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    def problems(holds_data: bool | None) -> list[str]:
        return key_problems(
            secret_key=settings.SECRET_KEY,
            field_keys=settings.FIELD_ENCRYPTION_KEYS,
            blind_index_key=settings.BLIND_INDEX_KEY,
            audit_key=settings.AUDIT_KEY,
            audit_key_previous=settings.AUDIT_KEY_PREVIOUS,
            holds_data=holds_data,
        )

    # The database is asked only when something is wrong, so that a healthy start stays free of
    # queries; the advice then depends on whether fresh keys would strand stored data.
    found = problems(holds_data=False)
    if found:
        found = problems(holds_data=_holds_data())
    return [checks.Error(problem, id="crypto.E001") for problem in found]


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
