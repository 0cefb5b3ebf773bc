from django.conf import settings
from django.http import HttpRequest

from safespaces.accounts.roles import Role, has_role
from safespaces.navigation import menu_for


def app(request: HttpRequest) -> dict[str, object]:
    return {
        "site_title": settings.SITE_TITLE,
        "user_is_coordinator": has_role(getattr(request, "user", None), Role.COORDINATOR),
        "user_is_administrator": has_role(getattr(request, "user", None), Role.ADMINISTRATOR),
        # Worked out only by a page that draws the menu.
        "menu": lambda: menu_for(request),
    }
