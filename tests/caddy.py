"""Caddy (Debian's `caddy`) in front of app servers started by a test, on free ports of
127.0.0.1, stopped at the end. Caddy keeps its files in the test's folder: no admin endpoint,
nothing in the home folder, nothing installed into the system's trust store.

- `caddy_balancing`: plain HTTP, round robin over a list of upstreams; every answer says which
  upstream gave it in the `X-Upstream` header, so a test can tell where each request went.
- `caddy_serving`: HTTPS with a certificate from Caddy's own local certificate authority
  (`tls internal`), whose root certificate the test then trusts, as an intranet's browsers
  would. The site comes from deploy/Caddyfile, the file operators install, or from any Caddyfile
  text written the same way: its host name `safespaces.example.org` becomes `localhost` and its
  upstream `127.0.0.1:8000` the given app servers (one or several, which Caddy takes turns
  between).
"""

import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import free_port
from tests.wheel import PROJECT

CADDY = shutil.which("caddy")
UPSTREAM_HEADER = "X-Upstream"
DEPLOY_CADDYFILE = PROJECT / "deploy" / "Caddyfile"
# What deploy/Caddyfile names, and caddy_serving replaces.
SITE_HOST = "safespaces.example.org"
SITE_UPSTREAM = "127.0.0.1:8000"
# Seconds Caddy may take to serve; it starts in a fraction of one.
START_TIMEOUT = 20


def caddy_binary() -> str:
    assert CADDY is not None, "Caddy is not installed: apt-get install caddy (make caddy)"
    return CADDY


@contextmanager
def _caddy_running(folder: Path, config: str) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Caddy with the Caddyfile `config`, its output in `folder`/caddy.log, until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    caddyfile = folder / "Caddyfile"
    caddyfile.write_text(config)
    # HOME and the XDG folders decide where Caddy keeps its data (the local authority's keys and
    # certificates) and its autosaved configuration: in the test's folder.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    log = folder / "caddy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [caddy_binary(), "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Caddy stopped at start:\n{log.read_text()[-3000:]}")
        if ready():
            return
        time.sleep(0.05)  # Caddy is starting: there is no clock to move on
    raise RuntimeError(f"Caddy did not serve within {START_TIMEOUT} s:\n{log.read_text()}")


def caddyfile(*, port: int, upstreams: Sequence[str]) -> str:
    """A Caddyfile that balances plain HTTP on 127.0.0.1:`port` over `upstreams` ("host:port")."""
    return f"""{{
\tadmin off
\tauto_https off
}}
http://127.0.0.1:{port} {{
\treverse_proxy {" ".join(upstreams)} {{
\t\tlb_policy round_robin
\t\theader_down {UPSTREAM_HEADER} {{http.reverse_proxy.upstream.hostport}}
\t}}
}}
"""


@contextmanager
def caddy_balancing(upstreams: Sequence[str], folder: Path) -> Iterator[str]:
    """Caddy balancing over `upstreams`, running until the block ends; yields its base URL."""
    port = free_port()

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    with _caddy_running(folder, caddyfile(port=port, upstreams=upstreams)) as (process, log):
        _wait(listening, process, log)
        yield f"http://127.0.0.1:{port}"


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
    `tls internal` for every site), on free ports of 127.0.0.1, without an admin endpoint. These
    options join the file's own global options block (the first line that is a lone `{`), if it
    has one: Caddy takes only one, at the top."""
    assert SITE_HOST in site and SITE_UPSTREAM in site, "the site names the placeholders"
    options = [
        "\tadmin off",
        "\tlocal_certs",
        "\tskip_install_trust",
        f"\thttp_port {http_port}",
        f"\thttps_port {https_port}",
        "\tdefault_bind 127.0.0.1",
    ]
    here = site.replace(SITE_HOST, "localhost").replace(SITE_UPSTREAM, " ".join(upstreams))
    lines = here.splitlines()
    if "{" in lines:
        start = lines.index("{") + 1
        return "\n".join([*lines[:start], *options, *lines[start:]]) + "\n"
    return "\n".join(["{", *options, "}", "", *lines]) + "\n"


@contextmanager
def caddy_serving(
    folder: Path, upstreams: Sequence[str], *, site: str | None = None
) -> Iterator[Caddy]:
    """Caddy serving `site` (default: deploy/Caddyfile) over HTTPS in front of `upstreams`
    ("host:port"), until the block ends. It answers as soon as it has started, whether or not the
    upstreams do yet (502 until they do)."""
    https_port, http_port = free_port(), free_port()
    config = caddyfile_for(
        site if site is not None else DEPLOY_CADDYFILE.read_text(),
        upstreams,
        https_port=https_port,
        http_port=http_port,
    )
    caddy = Caddy(
        url=f"https://localhost:{https_port}",
        http_url=f"http://localhost:{http_port}",
        root_certificate=folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt",
        log=folder / "caddy.log",
    )

    def answering() -> bool:
        if not caddy.root_certificate.is_file():
            return False
        try:
            # Our own https:// address, nothing a test could make a file: URL of.
            request = urllib.request.Request(f"{caddy.url}/", method="HEAD")  # noqa: S310
            urllib.request.urlopen(  # noqa: S310
                request, timeout=2, context=caddy.ssl_context()
            ).close()
            return True
        except urllib.error.HTTPError:
            return True  # Caddy answered (a 502 while the upstreams are still starting)
        except (urllib.error.URLError, ConnectionError, ssl.SSLError):
            return False

    with _caddy_running(folder, config) as (process, _log):
        _wait(answering, process, caddy.log)
        yield caddy
