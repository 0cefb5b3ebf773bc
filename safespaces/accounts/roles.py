"""The three roles. Each is a Django group holding its permissions; each includes the one below."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "Staff", _("Staff")
    COORDINATOR = "Coordinator", _("Coordinator")
    ADMINISTRATOR = "Administrator", _("Administrator")


RANK = {Role.STAFF: 1, Role.COORDINATOR: 2, Role.ADMINISTRATOR: 3}

# Permissions each role's group holds, as "app_label.codename". Later apps add theirs in their own
# migrations through `grant_permissions`.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.STAFF: [],
    Role.COORDINATOR: [],
    Role.ADMINISTRATOR: [
        "accounts.manage_users",
        "accounts.reset_second_factor",
        "audit.view_auditevent",
    ],
}


def user_role(user: object) -> Role | None:
    """The highest role the user holds, or None. Superusers count as administrators."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:  # type: ignore[attr-defined]
        return None
    if user.is_superuser:  # type: ignore[attr-defined]
        return Role.ADMINISTRATOR
    return getattr(user, "role", None)


def has_role(user: object, role: Role) -> bool:
    held = user_role(user)
    return held is not None and RANK[held] >= RANK[role]
