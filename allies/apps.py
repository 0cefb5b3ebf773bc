from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlliesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "allies"
    verbose_name = "Allies"

    def ready(self) -> None:
        # The platform's menu, home page and person page link here, erasing a person takes
        # their sharing consents too, a person's access report covers the contacts that name
        # them, and seed_demo adds its demo, without the platform importing this app.
        from allies import demo
        from allies.dashboard import directory
        from allies.selectors import records_naming_person
        from allies.services import sharing_consents_erase
        from safespaces import demo as platform_demo
        from safespaces.accounts.roles import Role
        from safespaces.dashboard import register
        from safespaces.navigation import Link, menu_register, object_link_register, role_at_least
        from safespaces.people import erasure, naming

        menu_register(Link(_("Allies"), "allies:list", 40, section="allies"))
        object_link_register(
            "person",
            Link(
                _("Who they agreed to share their information with"),
                "allies:person_sharing",
                10,
                role_at_least(Role.COORDINATOR),
            ),
        )
        register(directory, order=20)
        erasure.register(sharing_consents_erase)
        naming.register(records_naming_person)
        # First: the other apps' demos name these actors.
        platform_demo.register(demo.seed, order=10)
