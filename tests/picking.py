"""What a page with pickers costs: the values it decrypts and the queries it runs."""

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.test import Client

from tests.conftest import queries_run
from tests.incidents.test_incident_form_pickers import opened_while


def values(page: str, name: str) -> list[str]:
    """The values of the inputs named `name`: what a picker shows, chosen or found."""
    return re.findall(rf'name="{name}" value="([^"]*)"', page)


def opened_on(client: Client, url: str) -> tuple[Any, Counter[str]]:
    """The page at `url`, and how many values opening it decrypted, by model and field."""
    return opened_while(lambda: client.get(url))


def queries_on(client: Client, url: str, grow: Callable[[], Any]) -> tuple[int, int]:
    """The queries the page at `url` runs, before and after `grow` adds rows it could list.
    Opened once first: a first request reads what later ones find cached."""
    assert client.get(url).status_code == 200
    with queries_run() as before:
        assert client.get(url).status_code == 200
    grow()
    with queries_run() as after:
        assert client.get(url).status_code == 200
    return len(before), len(after)
