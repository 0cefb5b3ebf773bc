"""Real servers on this machine for the messages that leave the app, recording what arrives and
when: an SMTP server (aiosmtpd) and an alert relay (http.server). The check-in drill and the
deadline benchmark point a real worker at them through EMAIL_URL and WEBHOOK_URL. And the
processes a test starts (app servers, workers), each with its log, and the wait for an app
server to serve."""

import asyncio
import email
import email.policy
import logging
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

# aiosmtpd logs every SMTP command at INFO: the tests read what arrived instead.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(base: str, log: Path, *, seconds: float = 30, host: str = "") -> None:
    """Wait for the app server at `base` to answer /healthz (asked for `host`, one of its
    ALLOWED_HOSTS, when given); fail with its log if it never does."""
    request = urllib.request.Request(base + "/healthz", headers={"Host": host} if host else {})  # noqa: S310
    for _ in range(int(seconds / 0.05)):
        try:
            urllib.request.urlopen(request, timeout=1).close()  # noqa: S310
            return
        except OSError:
            time.sleep(0.05)  # the server is starting: no clock to move on here
    pytest.fail(f"the app server did not serve:\n{log.read_text()}")


@contextmanager
def processes_running(
    commands: Mapping[str, Sequence[str]],
    *,
    cwd: Path,
    env: Mapping[str, str],
    logs: Path,
    stop_seconds: float = 40,
) -> Iterator[dict[str, Path]]:
    """Each command's process, its output in `logs`/<name>.log; yields those logs. At the end all
    are sent SIGTERM at once, as systemd stops services (each takes a moment to stop its workers:
    side by side, not one after the other), and waited for; killed after `stop_seconds`."""
    processes = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT
                    )
                )
        yield {name: logs / f"{name}.log" for name in commands}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=stop_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Mail:
    recipients: tuple[str, ...]
    data: bytes  # the message as it came over the wire, headers and body
    arrived_at: float  # time.time() when the server accepted it

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        """Everything a reader sees, decoded: every header, then the body."""
        message = self.message
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        body = message.get_body(preferencelist=("plain",))
        return headers + "\n\n" + (body.get_content() if body is not None else "")


class Mailbox:
    """An SMTP server on a free port of 127.0.0.1 that accepts every message.

    `hold(n)` makes it keep each message unanswered (no "250") until `n` wait at once, or until
    `release()`: the moment a worker is killed in the middle of sending, or the proof that two
    workers were sending at the same time. A message whose sender went away while it was held was
    never accepted, as with any SMTP server, and is not recorded.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._hold_for = 0
        self._hold_until = 0.0
        self.reset()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def reset(self) -> None:
        with self._lock:
            self.accepted: list[Mail] = []
            self.arrived = 0  # messages whose DATA came in, accepted or not
            self.waiting = 0
            self.most_waiting = 0
            self._hold_for = 0
            self._released.set()

    def hold(self, until_waiting: int, *, at_most: float = 30) -> None:
        with self._lock:
            self._hold_for = until_waiting
            self._hold_until = time.monotonic() + at_most
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            self.arrived += 1
            self.waiting += 1
            self.most_waiting = max(self.most_waiting, self.waiting)
            if self.waiting >= self._hold_for:
                self._released.set()
        try:
            # Cancelled here when the sender's connection drops: nothing accepted, nothing kept.
            while not self._released.is_set() and time.monotonic() < self._hold_until:
                await asyncio.sleep(0.01)
            content = envelope.original_content or b""
            mail = Mail(tuple(envelope.rcpt_tos), content, time.time())
            with self._lock:
                self.accepted.append(mail)
            return "250 Message accepted for delivery"
        finally:
            with self._lock:
                self.waiting -= 1

    def __enter__(self) -> "Mailbox":
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._controller.stop()


@dataclass(frozen=True)
class Post:
    path: str
    headers: dict[str, str]  # names in lower case: HTTP's are case-insensitive
    body: bytes
    arrived_at: float


class Relay:
    """An alert relay on a free port of 127.0.0.1: every POST recorded and answered 200."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        posts, lock = self.posts, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                post = Post(self.path, headers, body, time.time())
                with lock:
                    posts.append(post)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads the posts, not a log

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/relay"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def reset(self) -> None:
        self.posts.clear()

    def __enter__(self) -> "Relay":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def mailbox_and_relay() -> Iterator[tuple[Mailbox, Relay]]:
    with Mailbox() as mailbox, Relay() as relay:
        yield mailbox, relay
