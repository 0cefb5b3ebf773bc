from datetime import time

from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "safespaces.worker"
    label = "worker"
    verbose_name = "Background worker"

    def ready(self) -> None:
        from safespaces.worker.recurring import DailyAt, recurring_register
        from safespaces.worker.tasks import task_results_prune

        # At night on the organization's clock, when the queue is quiet.
        recurring_register(task_results_prune, schedule=DailyAt(time(3, 0)))
