from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckInsConfig(AppConfig):
    name = "checkins"
    verbose_name = "Check-ins"

    def ready(self) -> None:
        # The home page, the menu, the safety plan and seed_demo show check-ins without the apps
        # below this one importing it.
        from checkins import demo
        from checkins.alerts import alert_kinds_register
        from checkins.dashboard import panel
        from safespaces import demo as platform_demo
        from safespaces.dashboard import register
        from safespaces.navigation import Link, menu_register, object_link_register

        menu_register(Link(_("Check-ins"), "checkins:list", 15, section="checkins"))
        object_link_register(
            "situation", Link(_("Start this check-in"), "checkins:start_for_situation", 10)
        )
        # First on the home page: someone may be in danger.
        register(panel, order=0)
        alert_kinds_register()
        platform_demo.register(demo.seed, order=40)
