from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "safespaces.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from safespaces.notifications.kinds import platform_kinds_register

        platform_kinds_register()
