from django.apps import AppConfig


class DraftsConfig(AppConfig):
    name = "safespaces.drafts"
    label = "drafts"
    verbose_name = "Drafts"
