"""The three roles. Each is a Django group holding its permissions; each includes the one below."""

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    # Only for types: the user model imports the roles.
    from safespaces.accounts.models import User


class Role(models.TextChoices):
    STAFF = "Staff", _("Staff")
    COORDINATOR = "Coordinator", _("Coordinator")
    ADMINISTRATOR = "Administrator", _("Administrator")


RANK = {Role.STAFF: 1, Role.COORDINATOR: 2, Role.ADMINISTRATOR: 3}


def grant_permissions(apps: Any, role_permissions: dict[str, list[str]]) -> None:
    """For data migrations: give each role's group its permissions ("app_label.codename").

    Each app's migrations grant the permissions of its own models, so the list lives with them.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role_name, permissions in role_permissions.items():
        group, _ = group_model.objects.get_or_create(name=role_name)
        for dotted in permissions:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            )


def user_role(user: "User | AnonymousUser | None") -> Role | None:
    """The highest role the user holds, or None. Superusers count as administrators.

    None for no user at all: a page rendered before authentication ran (an early error page).
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMINISTRATOR
    return user.role


def has_role(user: "User | AnonymousUser | None", role: Role) -> bool:
    held = user_role(user)
    return held is not None and RANK[held] >= RANK[role]
