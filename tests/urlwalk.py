"""Walk every URL pattern of a URLconf and say which access rule each view declares."""

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import DEFAULT_CONVERTERS

from safespaces.access import Access, Helper, access_helper_of, access_rule_of

ADMIN_NAMESPACE = "admin"
CONVERTER_NAMES = {type(c): name for name, c in DEFAULT_CONVERTERS.items()}
SAMPLE_VALUES = {"uuid": str(uuid.uuid4()), "int": "1", "str": "x", "slug": "x", "path": "x"}
# Real values for the keywords of some routes, by route name ("namespace:name").
Samples = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    path: str  # a concrete path with sample values
    rule: Access | None
    keywords: frozenset[str]  # the URL's keywords, as `code` for a URL of one object
    helper: Helper | None  # the access helper the view names with `of=`


def _sample_path(prefix: str, pattern: Any, values: Mapping[str, str]) -> str | None:
    route = getattr(pattern.pattern, "_route", None)
    if route is None:
        return None  # a regular expression pattern: only the admin uses them
    for name, converter in pattern.pattern.converters.items():
        kind = CONVERTER_NAMES[type(converter)]
        value = values.get(name, SAMPLE_VALUES[kind])
        route = route.replace(f"<{kind}:{name}>", value).replace(f"<{name}>", value)
    return "/" + prefix + route


def walk(urlconf: str | None = None, samples: Samples | None = None) -> Iterator[Route]:
    """Every route, with a concrete path: random values for its keywords, or those `samples`
    gives for it. A random code answers 404 to everyone, which would hide a role check made
    after the record is found; a real record shows the role's own answer."""

    def visit(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = (
                    f"{namespace}:{entry.namespace}"
                    if namespace and entry.namespace
                    else (entry.namespace or namespace)
                )
                route = getattr(entry.pattern, "_route", "")
                yield from visit(entry, prefix + route, inner or "")
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
                path = _sample_path(prefix, entry, (samples or {}).get(name, {}))
                yield Route(
                    name,
                    path or "",
                    access_rule_of(entry.callback),
                    frozenset(entry.pattern.converters),
                    access_helper_of(entry.callback),
                )

    yield from visit(get_resolver(urlconf), "", "")


def undeclared(urlconf: str | None = None) -> list[str]:
    """Every route outside the admin whose view declares no access rule."""
    return [
        route.name or route.path
        for route in walk(urlconf)
        if route.rule is None and not route.name.startswith(ADMIN_NAMESPACE + ":")
    ]
