from django.apps import AppConfig


class AlliesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "allies"
    verbose_name = "Allies"

    def ready(self) -> None:
        # Erasing a person takes their sharing consents too, without the platform importing this
        # app.
        from allies.services import sharing_consents_erase
        from safespaces.people.erasure import register

        register(sharing_consents_erase)
