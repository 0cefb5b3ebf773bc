from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "safespaces.people"
    label = "people"
    verbose_name = "People"
