"""The `safespaces` command: manage.py for an installed package, plus `serve` and `--version`.

    safespaces migrate              any management command, as manage.py runs it
    safespaces check --deploy
    safespaces worker               the background worker (safespaces.worker)
    safespaces backup /var/backups  the backup archive (safespaces.backup)
    safespaces serve [options]      gunicorn with the app; its options pass through
    safespaces --version

The configuration comes from the environment, and from the file SAFESPACES_ENV_FILE names
(safespaces.settings).
"""

import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

# Behind a reverse proxy on the same machine; gunicorn's advice for workers is 2-4 per core, and
# a small organization's server has one or two.
SERVE_BIND = "127.0.0.1:8000"
SERVE_WORKERS = "3"
# Keeps gunicorn's access log off and its error lines without request lines (the module says why).
SERVE_CONFIG = "python:safespaces.gunicorn_config"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safespaces.settings")
    if arguments[:1] in (["--version"], ["version"]):
        sys.stdout.write(f"safespaces {installed_version()}\n")
        return
    if arguments[:1] == ["serve"]:
        serve(arguments[1:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["safespaces", *arguments])


def installed_version() -> str:
    """The version in pyproject.toml, as the installed package records it."""
    try:
        return version("safespaces")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def serve_command(options: Sequence[str]) -> list[str]:
    """gunicorn's command line: the app, our gunicorn settings, a default address and number of
    workers unless the options (or gunicorn's WEB_CONCURRENCY) give their own, then the options
    as they are. A configuration file of one's own replaces ours: it should start with
    `from safespaces.gunicorn_config import *`."""
    defaults = []
    if not given(options, "-c", "--config"):
        defaults += ["--config", SERVE_CONFIG]
    if not given(options, "-b", "--bind"):
        defaults += ["--bind", SERVE_BIND]
    if not given(options, "-w", "--workers") and "WEB_CONCURRENCY" not in os.environ:
        defaults += ["--workers", SERVE_WORKERS]
    return [sys.executable, "-m", "gunicorn", *defaults, *options, "safespaces.wsgi:application"]


def given(options: Sequence[str], short: str, long: str) -> bool:
    """Whether an option is among gunicorn's options, in any of the forms argparse takes."""
    return any(
        option in (short, long) or option.startswith((f"{long}=", short)) for option in options
    )


def serve(options: Sequence[str]) -> None:
    """Replace this process by gunicorn, so a service manager's signals reach it directly."""
    command = serve_command(options)
    os.execv(command[0], command)  # noqa: S606 - our own interpreter, running gunicorn
