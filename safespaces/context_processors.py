from django.conf import settings
from django.http import HttpRequest

from safespaces.accounts.roles import Role, has_role


def app(request: HttpRequest) -> dict[str, object]:
    return {
        "site_title": settings.SITE_TITLE,
        "user_is_coordinator": has_role(getattr(request, "user", None), Role.COORDINATOR),
        "user_is_administrator": has_role(getattr(request, "user", None), Role.ADMINISTRATOR),
    }
