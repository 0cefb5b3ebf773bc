import os

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SafeSpacesConfig(AppConfig):
    name = "safespaces"
    verbose_name = "SafeSpaces"
    default = True

    def ready(self) -> None:
        # Everything this process creates is its own user's alone (0600 files, 0700 folders):
        # the SQLite database and the -wal and -shm files SQLite adds whenever it needs them,
        # attachments (FileSystemStorage creates a file 0666 less the umask and only chmods it
        # once written), and anything else written to disk. A umask is the one setting that
        # covers files created later by code that is not ours, with no moment of being readable.
        os.umask(0o077)
        from safespaces.choices import install_choice_labels
        from safespaces.navigation import platform_links_register

        platform_links_register()
        install_choice_labels()


class SafeSpacesAdminConfig(admin_apps.AdminConfig):
    """The Django admin, behind the same two factors and for administrators only."""

    default = False
    default_site = "safespaces.admin_site.SafeSpacesAdminSite"
