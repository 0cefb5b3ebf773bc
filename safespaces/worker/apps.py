from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "safespaces.worker"
    label = "worker"
    verbose_name = "Background worker"
