"""What pyproject.toml cannot say: the packages found by name, plus the project's templates,
static files and translations, which live at the root of the checkout (where everyone edits
them) and travel inside the package, as `safespaces/bundled/`, once it is built.

pyproject.toml holds everything else. The settings look for `safespaces/bundled/` first and
fall back to the checkout's root folders (safespaces.settings, PROJECT_FILES).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

ROOT = Path(__file__).resolve().parent
# Every app of ours in INSTALLED_APPS; tests/test_packaging.py fails when one is missing here.
APPS = ["safespaces", "incidents", "allies", "riskassessment", "checkins"]
# Root folder -> the files of it the package carries. locale/ may not exist yet: compiled
# catalogues (*.mo) placed there later travel without another change here.
PROJECT_FOLDERS = {"templates": ["**/*"], "static": ["**/*"], "locale": ["**/*.mo"]}
# An app's own templates, static files and compiled translations, if it has any.
APP_DATA = ["templates/**/*", "static/**/*", "locale/**/*.mo"]


def bundled_folders() -> dict[str, str]:
    """`safespaces.bundled.<folder>` -> `<folder>`, for the root folders that exist."""
    return {
        f"safespaces.bundled.{folder}": folder
        for folder in PROJECT_FOLDERS
        if (ROOT / folder).is_dir()
    }


def bundled_packages(bundled: dict[str, str]) -> list[str]:
    """Each bundled folder and every folder under it: setuptools asks that every folder it
    copies files from be listed as a package, and warns at length otherwise."""
    return [
        name
        for package, folder in bundled.items()
        for name in [package, *(f"{package}.{sub}" for sub in find_namespace_packages(folder))]
    ]


def compile_catalogues() -> None:
    """Compile each translation catalogue (the .po in git) to the .mo the app reads, so a built
    package carries the translations whether or not `make` ran first (polib is a build
    requirement; `make messages` does the same with GNU gettext in a checkout)."""
    import polib

    # Every time, not by the files' dates: a checkout can leave an old .mo newer than its .po.
    for catalogue in ROOT.glob("locale/**/LC_MESSAGES/*.po"):
        polib.pofile(str(catalogue)).save_as_mofile(str(catalogue.with_suffix(".mo")))


compile_catalogues()
bundled = bundled_folders()
setup(
    # Namespace packages too: an app's templates/ folder holds no __init__.py.
    packages=[
        *find_namespace_packages(include=[name for app in APPS for name in (app, f"{app}.*")]),
        *bundled_packages(bundled),
    ],
    package_dir=bundled,
    package_data={
        **dict.fromkeys(APPS, APP_DATA),
        **{package: PROJECT_FOLDERS[folder] for package, folder in bundled.items()},
    },
)
