"""The built wheel runs anywhere: installed into a fresh virtual environment outside the checkout,
started from a folder that is not the checkout, with its configuration in an env file, the
`safespaces` command checks, migrates, collects the static files, backs up and serves the
sign-in page with its stylesheet, from the package alone. How the wheel is built and installed
(fast, borrowing this environment's dependencies, or SAFESPACES_PACKAGE_FULL=1): tests/wheel.py.
"""

import json
import re
import subprocess
import tomllib
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from safespaces.crypto.keys import fresh_environment
from tests.servers import free_port, processes_running, wait_until_serving
from tests.wheel import PROJECT, Installed, checkout_files, installed_in

VERSION = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["version"]
APPS = ["safespaces", "incidents", "allies", "riskassessment", "checkins"]
# About 30 s on two idle cores, most of it the migrations and the build: a step of its own
# (`make test-package`), not part of every `make test`.
pytestmark = pytest.mark.package


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    folder = tmp_path_factory.mktemp("package")
    run = folder / "run"
    return installed_in(
        folder,
        env_file=fresh_environment()
        + "\nDEBUG=false\n"
        + f"DATABASE_URL=sqlite:///{run / 'db.sqlite3'}\n"
        + f"ATTACHMENTS_DIR={run / 'attachments'}\n"
        + "ALLOWED_HOSTS=127.0.0.1\n"
        # Plain HTTP on a loopback port, with no proxy in front.
        + "SECURE_SSL_REDIRECT=false\n",
    )


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_carries_every_module_template_static_file_and_migration(
    installed: Installed,
) -> None:
    names = wheel_names(installed.wheel)
    files = checkout_files()
    modules = [f for f in files if f.parts[0] in APPS and f.suffix == ".py"]
    project = [f for f in files if f.parts[0] in ("templates", "static")]
    app_templates = [f for f in files if f.parts[0] in APPS and "templates" in f.parts]

    assert {str(f) for f in modules} <= names
    assert any("/migrations/0001_" in str(f) for f in modules)
    assert {f"safespaces/bundled/{f}" for f in project} <= names
    assert "safespaces/bundled/templates/base.html" in names
    assert "safespaces/bundled/static/css/app.css" in names
    assert {str(f) for f in app_templates} <= names
    # Compiled translations travel, compiled by the build itself; sources stay behind.
    assert "safespaces/bundled/locale/ar/LC_MESSAGES/django.mo" in names
    assert "safespaces/bundled/locale/django/tl/LC_MESSAGES/django.mo" in names
    assert not [name for name in names if name.endswith(".po")]


def test_every_app_of_ours_in_installed_apps_is_in_the_wheel(installed: Installed) -> None:
    from django.conf import settings

    ours = {app.split(".")[0] for app in settings.INSTALLED_APPS} & {
        f.parts[0] for f in checkout_files() if len(f.parts) > 1
    }
    tops = {name.split("/")[0] for name in wheel_names(installed.wheel)}

    assert ours == set(APPS)
    assert ours <= tops


def test_it_says_its_version(installed: Installed) -> None:
    result = installed.safespaces("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"safespaces {VERSION}\n"


def test_it_runs_from_the_package_alone(installed: Installed) -> None:
    script = (
        "import json, sys, django; django.setup(); import allies, safespaces;"
        "from django.conf import settings; print(json.dumps({'package': safespaces.__file__,"
        "'app': allies.__file__, 'templates': str(settings.TEMPLATES[0]['DIRS'][0]),"
        "'static_root': str(settings.STATIC_ROOT), 'path': sys.path}))"
    )
    result = subprocess.run(
        [installed.venv / "bin" / "python", "-c", script],
        cwd=installed.run,
        env=installed.env | {"DJANGO_SETTINGS_MODULE": "safespaces.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["package"].startswith(str(installed.venv))
    assert found["app"].startswith(str(installed.venv))
    assert found["templates"].startswith(str(installed.venv))
    assert found["templates"].endswith("safespaces/bundled/templates")
    assert found["static_root"] == str(installed.venv / "staticfiles")
    # The checkout is not on the path ("" is the run folder; its .venv lends the dependencies).
    assert not {str(PROJECT), str(PROJECT.resolve())} & set(found["path"])


@dataclass(frozen=True)
class Prepared:
    """What the first steps of docs/operations.md printed, run once for the tests below."""

    checked: subprocess.CompletedProcess[str]
    migrated: subprocess.CompletedProcess[str]
    unapplied: subprocess.CompletedProcess[str]
    collected: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def prepared(installed: Installed) -> Prepared:
    return Prepared(
        checked=installed.safespaces("check", "--fail-level", "WARNING"),
        migrated=installed.safespaces("migrate", "--no-input"),
        unapplied=installed.safespaces("migrate", "--check"),
        collected=installed.safespaces("collectstatic", "--no-input"),
    )


def test_it_checks_migrates_and_collects_static_files(
    installed: Installed, prepared: Prepared
) -> None:
    checked, migrated, unapplied, collected = (
        prepared.checked,
        prepared.migrated,
        prepared.unapplied,
        prepared.collected,
    )

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying incidents.0001_initial... OK" in migrated.stdout
    assert "Applying checkins.0001_initial... OK" in migrated.stdout
    assert unapplied.returncode == 0, unapplied.stdout
    assert collected.returncode == 0, collected.stderr
    assert re.search(r"\d+ static files copied", collected.stdout)
    assert (installed.venv / "staticfiles" / "staticfiles.json").is_file()
    assert (installed.venv / "staticfiles" / "css" / "app.css").is_file()


def test_it_backs_up_the_database_it_migrated(installed: Installed, prepared: Prepared) -> None:
    assert prepared.migrated.returncode == 0

    (installed.run / "backups").mkdir(mode=0o700)
    result = installed.safespaces("backup", str(installed.run / "backups"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list((installed.run / "backups").glob("*.tar.gz"))) == 1


def test_its_deployment_checks_pass_with_the_environment_over_the_env_file(
    installed: Installed,
) -> None:
    # The env file turns the HTTPS redirect off for the plain-HTTP server below; the environment
    # wins over it, as a service's own variables do.
    result = subprocess.run(
        [installed.venv / "bin" / "safespaces", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=installed.run,
        env=installed.env | {"SECURE_SSL_REDIRECT": "true", "ALLOWED_HOSTS": "example.org"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_worker_runs_what_is_due_and_beats_its_heartbeat(
    installed: Installed, prepared: Prepared
) -> None:
    assert prepared.migrated.returncode == 0

    worker = installed.safespaces(
        "worker", "--batch", "--interval=0", "--no-startup-delay", "--worker-id=package"
    )
    beats = installed.safespaces(
        "shell",
        "-c",
        "from safespaces.worker.models import Heartbeat as H; print(H.objects.count())",
    )

    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert beats.returncode == 0, beats.stderr
    assert beats.stdout.split()[-1] == "1"


def test_gunicorn_accepts_the_configuration(installed: Installed) -> None:
    result = installed.safespaces("serve", "--check-config")

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def served(installed: Installed, prepared: Prepared, tmp_path: Path) -> Iterator[str]:
    assert prepared.migrated.returncode == 0
    assert prepared.collected.returncode == 0
    address = f"127.0.0.1:{free_port()}"
    command = [str(installed.command), "serve", "--bind", address, "--workers", "1"]
    with processes_running(
        {"serve": command}, cwd=installed.run, env=installed.env, logs=tmp_path, stop_seconds=30
    ) as logs:
        wait_until_serving(f"http://{address}", logs["serve"])
        yield f"http://{address}"


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_it_serves_the_sign_in_page_with_its_static_files(served: str) -> None:
    status, page = get(f"{served}/login/")
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)

    assert status == 200
    assert 'name="username"' in page
    assert stylesheet, "the page links the hashed stylesheet collectstatic wrote"
    css_status, css = get(f"{served}{stylesheet.group(1)}")
    assert css_status == 200
    assert css.strip()
