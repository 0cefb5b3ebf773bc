"""What someone setting up meets first: installing prints no warnings of ours (the licence in the
form today's build tools take; it printed about 30 lines before), `make help` says how to
serve elsewhere than 127.0.0.1:8000, and the `safespaces` command runs the app as manage.py does.
The built wheel itself is tried in tests/test_package_install.py."""

import subprocess
import tomllib
from pathlib import Path

import pytest

from safespaces.cli import main, serve_command

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_licence_is_an_spdx_expression_as_setuptools_77_expects() -> None:
    assert PYPROJECT["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]


def test_make_help_says_how_to_serve_on_another_address() -> None:
    printed = subprocess.run(
        ["make", "-s", "help"],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "make run" in printed
    assert "HOST=address:port" in printed


def test_the_safespaces_command_is_declared() -> None:
    assert PYPROJECT["project"]["scripts"] == {"safespaces": "safespaces.cli:main"}


def test_serve_runs_gunicorn_with_the_app_behind_a_local_proxy_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)

    command = serve_command([])

    assert command[1:] == [
        "-m",
        "gunicorn",
        "--config",
        "python:safespaces.gunicorn_config",
        "--bind",
        "127.0.0.1:8000",
        "--workers",
        "3",
        "safespaces.wsgi:application",
    ]


@pytest.mark.parametrize(
    "options",
    [
        ["--bind", "0.0.0.0:80", "--workers", "5"],
        ["--bind=0.0.0.0:80", "-w5"],
        ["-b", "[::]:80", "-w", "5"],
    ],
)
def test_serve_passes_its_options_through_instead_of_the_defaults(
    monkeypatch: pytest.MonkeyPatch, options: list[str]
) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)

    command = serve_command([*options, "--check-config"])

    assert command[3:] == [
        "--config",
        "python:safespaces.gunicorn_config",
        *options,
        "--check-config",
        "safespaces.wsgi:application",
    ]
    assert "127.0.0.1:8000" not in command


def test_serve_leaves_the_number_of_workers_to_web_concurrency_when_it_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "2")

    command = serve_command([])

    assert "--workers" not in command
    assert command[-3:] == ["--bind", "127.0.0.1:8000", "safespaces.wsgi:application"]


def test_it_says_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--version"])

    assert capsys.readouterr().out == f"safespaces {PYPROJECT['project']['version']}\n"


def test_any_other_command_is_a_management_command(capsys: pytest.CaptureFixture[str]) -> None:
    main(["help", "--commands"])

    commands = capsys.readouterr().out.split()
    assert {"migrate", "worker", "backup", "restore", "collectstatic"} <= set(commands)


def test_the_changelog_starts_with_the_version_of_pyproject() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()

    assert changelog.startswith("# Changelog\n")
    assert f"\n## {PYPROJECT['project']['version']} " in changelog
