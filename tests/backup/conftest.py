"""Fixtures of the backup tests."""

from pathlib import Path

import pytest
from pytest_django.fixtures import Settings


def attachments_in(settings: Settings, location: Path) -> Path:
    """Point the attachments storage at `location`, as ATTACHMENTS_DIR does."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "file_permissions_mode": 0o600},
        },
    }
    return location


@pytest.fixture
def attachments_dir(settings: Settings, tmp_path: Path) -> Path:
    """The live app's attachments, in a temporary folder, never in the project's."""
    return attachments_in(settings, tmp_path / "attachments")
