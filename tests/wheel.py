"""The built wheel, installed into a fresh virtual environment outside the checkout, as an
operator installs a release (docs/operations.md). Shared by the tests that run the package:
tests/test_package_install.py and tests/test_deploy_smoke.py.

The wheel is built by pip from a copy of the checkout's files (git's list, as a fresh clone
would have them, with changes not yet committed), so nothing left in build/ can slip in. To stay
fast, the new environment does not download the app's dependencies: a .pth file lends it this
environment's site-packages, read-only and after its own; the app itself, its templates and its
static files come only from the wheel. Set SAFESPACES_PACKAGE_FULL=1 to install the dependencies
from the package index instead (slower, needs the network): that also proves the wheel declares
every dependency.
"""

import os
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
FULL = os.environ.get("SAFESPACES_PACKAGE_FULL") == "1"


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    run: Path  # the folder commands start in, outside the checkout
    env: dict[str, str]

    @property
    def command(self) -> Path:
        return self.venv / "bin" / "safespaces"

    def safespaces(
        self, *arguments: str, timeout: float = 120, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `safespaces <arguments>` from the run folder; `env` adds to the environment."""
        return subprocess.run(
            [str(self.command), *arguments],
            cwd=self.run,
            env=self.env | (env or {}),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def checkout_files() -> list[Path]:
    """What a clone with the working tree's changes would hold: tracked and new files, not
    ignored ones (.env, build/, the local database)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [Path(name) for name in listed.split("\0") if name and (PROJECT / name).is_file()]


def wheel_build(folder: Path) -> Path:
    source = folder / "source"
    for name in checkout_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes((PROJECT / name).read_bytes())
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", folder, source],
        check=True,
        timeout=300,
    )
    (wheel,) = folder.glob("safespaces-*.whl")
    return wheel


def venv_install(wheel: Path, target: Path) -> None:
    if FULL:
        venv.create(target, with_pip=True)
        install = [target / "bin" / "python", "-m", "pip", "install", "--quiet", wheel]
    else:
        venv.create(target, with_pip=False)
        site_packages = Path(
            sysconfig.get_paths(vars={"base": str(target), "platbase": str(target)})["purelib"]
        )
        # A path line only: the .pth files there (the checkout's editable install) do not run.
        (site_packages / "project_dependencies.pth").write_text(
            sysconfig.get_paths()["purelib"] + "\n"
        )
        install = [target / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-deps"]
        install += ["--no-index", wheel]
    subprocess.run(install, check=True, cwd=target, timeout=300)


def installed_in(folder: Path, *, env_file: str) -> Installed:
    """Build the wheel and install it into `folder`/venv; commands run from `folder`/run with
    `env_file` written there and named by SAFESPACES_ENV_FILE, and nothing else of this test's
    environment (no settings module, no path to the checkout)."""
    wheel = wheel_build(folder)
    venv_install(wheel, folder / "venv")
    run = folder / "run"
    run.mkdir()
    path = run / "safespaces.env"
    path.write_text(env_file)
    path.chmod(0o600)
    env = {"PATH": os.environ["PATH"], "HOME": str(run), "SAFESPACES_ENV_FILE": str(path)}
    return Installed(wheel=wheel, venv=folder / "venv", run=run, env=env)
