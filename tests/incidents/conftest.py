"""Fixtures of the incidents tests."""

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings


@pytest.fixture
def attachments_dir(settings: Settings, tmp_path: Path) -> Path:
    """Attachments are stored in a temporary folder, never in the project's.

    The test settings have no "attachments" storage at all, so a test that stores a file without
    this fixture fails instead of writing where it should not.
    """
    location = tmp_path / "attachments"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "safespaces.files.PrivateFileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    return location
