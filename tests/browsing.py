"""Send a page's form back as a browser would: what the page shows is what gets posted."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
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
    reader = _FormReader()
    reader.feed(html.decode())
    for form in reader.forms:
        if "version" in form:
            return {name: values for name, values in form.items() if name != "csrfmiddlewaretoken"}
    raise AssertionError("the page has no edit form")
