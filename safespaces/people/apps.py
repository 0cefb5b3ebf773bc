from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "safespaces.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from safespaces.people.alerts import alert_kinds_register

        alert_kinds_register()
