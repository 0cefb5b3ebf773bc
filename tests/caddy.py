"""Caddy (Debian's `caddy`) in front of app servers started by a test, as a load balancer.

`caddy_balancing` writes a Caddyfile for a list of upstreams, starts Caddy on a free port of
127.0.0.1 in plain HTTP, and stops it at the end. Requests go round robin, one upstream after
the other, and every answer says which upstream gave it in the `X-Upstream` header, so a test can
tell where each request went. Caddy keeps its files in the test's folder: no admin endpoint,
nothing in the home folder, no certificates.
"""

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port

CADDY = shutil.which("caddy")
UPSTREAM_HEADER = "X-Upstream"
# Seconds Caddy may take to listen; it starts in a fraction of one.
START_TIMEOUT = 10


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
    assert CADDY is not None, "Caddy is not installed: apt-get install caddy"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = folder / "Caddyfile"
    config.write_text(caddyfile(port=port, upstreams=upstreams))
    # Caddy's own files (its autosaved configuration, certificate storage) go to the test's folder.
    env = {"HOME": str(folder), "XDG_DATA_HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}
    log = folder / "caddy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Caddy stopped at start:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # Caddy is starting: there is no clock to move on
    raise RuntimeError(f"Caddy did not listen within {START_TIMEOUT} s:\n{log.read_text()}")
