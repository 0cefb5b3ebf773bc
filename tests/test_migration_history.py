"""Migrations are history: once one has landed, databases out there record it as applied and
will never run it again, so an edit to it reaches no existing database (as the edit that added
`actor_directory_only_active` to allies' 0001 did not). tests/migrations.sha256 holds the SHA-256
of every migration file; a listed file that changed or went away fails here, and so does a new
migration until its hash is added (docs/development.md, "Migrations").

The manifest is checked in rather than compared with main by git: the check then works the same
in a clean clone, on a branch, on main itself and in a tarball without history.
"""

import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings

MANIFEST = Path(settings.BASE_DIR) / "tests" / "migrations.sha256"


def listed() -> dict[str, str]:
    """Path (from the project folder) -> hash, as `sha256sum` writes them."""
    entries = {}
    for line in MANIFEST.read_text().splitlines():
        if line.strip():
            digest, path = line.split(maxsplit=1)
            entries[path.lstrip("*")] = digest
    return entries


def migration_files() -> dict[str, Path]:
    """Every migration of the project's own apps, by path from the project folder."""
    base = Path(settings.BASE_DIR)
    found = {}
    for config in apps.get_app_configs():
        folder = Path(config.path) / "migrations"
        # Installed libraries (in .venv, inside the project folder) are not ours to keep.
        ours = folder.is_relative_to(base) and "site-packages" not in folder.parts
        if ours and folder.is_dir():
            for path in folder.glob("[0-9]*.py"):
                found[path.relative_to(base).as_posix()] = path
    return found


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_manifest_covers_the_apps_migrations() -> None:
    files = migration_files()

    assert "allies/migrations/0001_initial.py" in files
    assert len(listed()) >= len(files) > 20


def test_no_migration_that_landed_was_changed_or_removed() -> None:
    files = migration_files()

    changed = [
        path
        for path, digest in listed().items()
        if path not in files or sha256(files[path]) != digest
    ]

    assert changed == [], (
        "These migrations landed before and were changed or removed. Put them back as they were "
        "and make the change in a new migration: " + ", ".join(changed)
    )


def test_every_migration_is_in_the_manifest() -> None:
    new = sorted(set(migration_files()) - set(listed()))

    commands = " ".join(f"sha256sum {path} >> tests/migrations.sha256;" for path in new)
    assert new == [], f"Add the hash of each new migration to the manifest: {commands}"
