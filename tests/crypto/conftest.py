"""Fixtures for the encryption-at-rest tests."""

from collections.abc import Iterator

import pytest
from django.db import connection
from pytest_django import DjangoDbBlocker

from tests.crypto.support import Secret


@pytest.fixture(scope="session")
def secret_table(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """Create the table of the test-only `Secret` model once, outside any test transaction."""
    with django_db_blocker.unblock():
        # --reuse-db may keep a table left behind by an interrupted run.
        if Secret._meta.db_table not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(Secret)
        yield
        # Leave a reused test database exactly as the migrations made it.
        with connection.schema_editor() as editor:
            editor.delete_model(Secret)


@pytest.fixture
def secrets_db(secret_table: None, db: None) -> None:
    """Database access in a rolled-back transaction, with the `Secret` table present."""
