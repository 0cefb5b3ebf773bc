"""Caddy (Debian's package) in front of app servers started by a test: HTTPS on a free port of
127.0.0.1, with a certificate from Caddy's own local certificate authority (`tls internal`), whose
root certificate the test then trusts, as an intranet's browsers would.

The site comes from deploy/Caddyfile, the file operators install, or from any Caddyfile text
written the same way: its host name `safespaces.example.org` becomes `localhost` and its upstream
`127.0.0.1:8000` the given app servers (one or several, which Caddy then takes turns between).
Caddy's data (the authority's keys and certificates) stays in the test's folder, its admin
endpoint is off, and nothing is installed into the system's trust store.
"""

import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port

PROJECT = Path(__file__).resolve().parents[1]
DEPLOY_CADDYFILE = PROJECT / "deploy" / "Caddyfile"
# What deploy/Caddyfile names, and a test replaces.
SITE_HOST = "safespaces.example.org"
SITE_UPSTREAM = "127.0.0.1:8000"
START_SECONDS = 20


def caddy_binary() -> str:
    found = shutil.which("caddy")
    assert found, "Caddy is missing: make test-deploy installs Debian's (apt-get install caddy)"
    return found


@dataclass(frozen=True)
class Caddy:
    url: str  # https://localhost:<port>
    http_url: str  # the plain HTTP port, which only redirects to HTTPS
    root_certificate: Path  # Caddy's local certificate authority
    log: Path

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts Caddy's local authority, and nothing else."""
        return ssl.create_default_context(cafile=self.root_certificate)


def caddyfile_for(site: str, upstreams: Sequence[str], *, https_port: int, http_port: int) -> str:
    """`site` on this machine: every certificate from the local authority (`local_certs` is
    `tls internal` for every site), on free ports of 127.0.0.1, without an admin endpoint."""
    assert SITE_HOST in site and SITE_UPSTREAM in site, "the site names the placeholders"
    options = "\n".join(
        [
            "{",
            "\tadmin off",
            "\tlocal_certs",
            "\tskip_install_trust",
            f"\thttp_port {http_port}",
            f"\thttps_port {https_port}",
            "\tdefault_bind 127.0.0.1",
            "}",
        ]
    )
    site = site.replace(SITE_HOST, "localhost").replace(SITE_UPSTREAM, " ".join(upstreams))
    return f"{options}\n\n{site}"


@contextmanager
def caddy_serving(
    folder: Path, upstreams: Sequence[str], *, site: str | None = None
) -> Iterator[Caddy]:
    """Caddy serving `site` (default: deploy/Caddyfile) in front of `upstreams` ("host:port"),
    until the block ends. It answers as soon as it has started, whether or not the upstreams do
    yet (502 until they do)."""
    folder.mkdir(parents=True, exist_ok=True)
    https_port, http_port = free_port(), free_port()
    caddyfile = folder / "Caddyfile"
    caddyfile.write_text(
        caddyfile_for(
            site if site is not None else DEPLOY_CADDYFILE.read_text(),
            upstreams,
            https_port=https_port,
            http_port=http_port,
        )
    )
    # HOME and the XDG folders decide where Caddy keeps its data and its last configuration.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    caddy = Caddy(
        url=f"https://localhost:{https_port}",
        http_url=f"http://localhost:{http_port}",
        root_certificate=folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
        log=folder / "caddy.log",
    )
    with caddy.log.open("wb") as log:
        process = subprocess.Popen(
            [caddy_binary(), "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(caddy, process)
        yield caddy
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_serving(caddy: Caddy, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"Caddy stopped at start:\n{caddy.log.read_text()[-3000:]}")
        if caddy.root_certificate.is_file():
            try:
                # Our own https:// address, nothing a test could make a file: URL of.
                request = urllib.request.Request(f"{caddy.url}/", method="HEAD")  # noqa: S310
                urllib.request.urlopen(  # noqa: S310
                    request, timeout=2, context=caddy.ssl_context()
                ).close()
                return
            except urllib.error.HTTPError:
                return  # Caddy answered (a 502 while the upstreams are still starting)
            except (urllib.error.URLError, ConnectionError, ssl.SSLError):
                pass
        time.sleep(0.05)
    raise AssertionError(f"Caddy did not serve within {START_SECONDS} s:\n{caddy.log.read_text()}")
