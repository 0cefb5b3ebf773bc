from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SafeSpacesConfig(AppConfig):
    name = "safespaces"
    verbose_name = "SafeSpaces"
    default = True


class SafeSpacesAdminConfig(admin_apps.AdminConfig):
    """The Django admin, behind the same two factors and for administrators only."""

    default = False
    default_site = "safespaces.admin_site.SafeSpacesAdminSite"
