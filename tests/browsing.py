"""Browse as a browser would: send a page's form back (what the page shows is what gets posted),
and, for the tests that start real servers, a small HTTP client that keeps its cookies."""

import re
import secrets
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookiejar import CookieJar

from django_otp.oath import totp


class FormReader(HTMLParser):
    """Collects the fields of the first POST form that carries a version."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, list[str]]] = []
        self.inside = False
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name", "")
        if tag == "form" and attributes.get("method", "").lower() == "post":
            self.forms.append({})
            self.inside = True
        elif not self.inside or not name and tag != "option":
            return
        elif tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.forms[-1].setdefault(name, []).append(attributes.get("value", "on"))
            elif kind not in ("submit", "button", "file"):
                self.forms[-1].setdefault(name, []).append(attributes.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self.forms[-1].setdefault(name, []).append("")
        elif tag == "select":
            self.select = name
            self.forms[-1].setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attributes:
            self.forms[-1][self.select].append(attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            values = self.forms[-1][self.textarea]
            # The one newline after <textarea> is not part of the value, as in a browser.
            values[-1] += data.removeprefix("\n") if not values[-1] else data


def form_as_sent(html: bytes) -> dict[str, list[str]]:
    """The values of the page's edit form (the POST form with a version), ready to post."""
    reader = FormReader()
    reader.feed(html.decode())
    for form in reader.forms:
        if "version" in form:
            return {name: values for name, values in form.items() if name != "csrfmiddlewaretoken"}
    raise AssertionError("the page has no edit form")


@dataclass(frozen=True)
class Page:
    status: int
    url: str  # where it came from, after any redirect followed
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        # A compressed static file is not text: it is looked at by its headers only.
        return self.body.decode(errors="replace")

    def csrf_token(self) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        assert found, f"no form on {self.url} ({self.status})"
        return found.group(1)

    def heading(self) -> str:
        found = re.search(r"<h1[^>]*>(.*?)</h1>", self.text, re.S)
        return found.group(1).strip() if found else ""


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    """One browser for a server a test started: keeps cookies (for a host, whichever port it
    talks to, as browsers do), and sends forms with their token and an Origin. Addresses are
    `base` + what is asked for. It follows redirects unless told not to; over HTTPS it trusts
    what `context` trusts."""

    def __init__(
        self,
        base: str = "",
        *,
        context: ssl.SSLContext | None = None,
        follow_redirects: bool = True,
    ) -> None:
        self.base = base
        self.cookies = CookieJar()
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.cookies),
        ]
        if not follow_redirects:
            handlers.append(NoRedirects())
        self.opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        address: str,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Page:
        url = self.base + address
        # Only the addresses of the servers a test started: http:// or https://.
        request = urllib.request.Request(url, data=data, headers=dict(headers or {}))  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, response.url, response.read(), dict(response.headers))
        except urllib.error.HTTPError as error:
            return Page(error.code, error.url, error.read(), dict(error.headers))

    def get(self, address: str, headers: Mapping[str, str] | None = None) -> Page:
        return self.request(address, headers=headers)

    def post(self, address: str, fields: Mapping[str, str | list[str]], *, token: str = "") -> Page:
        """`fields` sent with `token`, or with the one a fresh copy of the page holds."""
        token = token or self.get(address).csrf_token()
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}, doseq=True)
        return self.request(address, data.encode(), self._origin(address))

    def submit(self, page: Page, fields: Mapping[str, str]) -> Page:
        """Post `fields` to the page's own address, with the page's form token."""
        return self.post(page.url.removeprefix(self.base), fields, token=page.csrf_token())

    def post_file(self, address: str, field: str, name: str, data: bytes) -> Page:
        """A PDF in the form's file field `field`, as the file `name`."""
        boundary = secrets.token_hex(16)
        token = self.get(address).csrf_token()
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{token}\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        )
        body = head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
        headers = self._origin(address) | {
            "Content-Type": f"multipart/form-data; boundary={boundary}"
        }
        return self.request(address, body, headers)

    def _origin(self, address: str) -> dict[str, str]:
        """What a browser says of a form's page: its Origin, and the page as the Referer."""
        url = self.base + address
        parts = urllib.parse.urlsplit(url)
        return {"Origin": f"{parts.scheme}://{parts.netloc}", "Referer": url}


def authenticator_code(key: bytes, *, step_ahead: int = 0) -> str:
    """What an authenticator app with `key` shows now, or `step_ahead` steps of 30 s later."""
    return f"{totp(key, drift=step_ahead):06d}"
