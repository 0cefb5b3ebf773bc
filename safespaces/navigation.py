"""Links that apps add to pages they do not own: the main menu and the links on a record's page.

The platform draws them without naming the apps built on it (the arrows only point this way):
each app registers its own from its `ready()`, as it registers home page panels
(`safespaces.dashboard`).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from safespaces.accounts.models import User
from safespaces.accounts.roles import Role, has_role


def anyone(user: User) -> bool:
    return True


def role_at_least(role: Role) -> Callable[[Any], bool]:
    """Who sees a link: people with `role` or one above it."""
    return lambda user: has_role(user, role)


@dataclass(frozen=True)
class Link:
    label: str | Promise  # translatable
    url_name: str
    order: int  # place among the other links, smallest first
    may_see: Callable[[Any], bool] = anyone
    # Menu only: the page is one of this URL namespace's, or this URL name, when it is current.
    section: str = ""


@dataclass(frozen=True)
class Shown:
    """A link as a page draws it."""

    label: str | Promise
    url: str
    current: bool = False


_menu: list[Link] = []
# Links on one record's page, by the kind of record ("person", "situation"); each link's URL
# takes the record's code.
_object_links: dict[str, list[Link]] = {}


def _add(links: list[Link], link: Link) -> None:
    if link not in links:
        links.append(link)
        links.sort(key=lambda each: each.order)


def menu_register(link: Link) -> None:
    _add(_menu, link)


def object_link_register(of: str, link: Link) -> None:
    """A link on the page of one record of kind `of`; its URL takes the record's code."""
    _add(_object_links.setdefault(of, []), link)


def menu_for(request: HttpRequest) -> list[Shown]:
    match = request.resolver_match
    here = {match.app_name, match.url_name} if match else set()
    return [
        Shown(
            link.label, reverse(link.url_name), current=bool(link.section) and link.section in here
        )
        for link in _menu
        if link.may_see(request.user)
    ]


def object_links_for(request: HttpRequest, of: str, code: object) -> list[Shown]:
    return [
        Shown(link.label, reverse(link.url_name, kwargs={"code": code}))
        for link in _object_links.get(of, [])
        if link.may_see(request.user)
    ]


def platform_links_register() -> None:
    """The platform's own entries; apps put theirs between them by `order`."""
    administrators = role_at_least(Role.ADMINISTRATOR)
    for link in [
        Link(_("Home"), "home", 0, section="home"),
        Link(_("People"), "people:list", 30, section="people"),
        Link(_("Places"), "places:list", 50, section="places"),
        Link(_("My account"), "accounts:account", 60, section="account"),
        Link(_("Users"), "accounts:users", 70, administrators),
        Link(_("Identity access"), "people:grants", 71, administrators),
        Link(_("Audit log"), "audit:events", 72, administrators),
        Link(_("Records admin"), "admin:index", 73, administrators),
    ]:
        menu_register(link)
