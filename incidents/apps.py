from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # The platform's menu and home page offer the incident book without importing this app.
        from incidents.dashboard import actions
        from safespaces.dashboard import register
        from safespaces.navigation import Link, menu_register

        menu_register(Link(_("Incidents"), "incidents:list", 10, section="incidents"))
        register(actions, order=10)
