"""A rich progress bar for the backup steps, as the other long commands show one."""

from rich.progress import Progress, TaskID


class ProgressSteps:
    """Each step a bar of its own; the one before is marked done when the next starts."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def start(self, description: str, total: float | None) -> None:
        self._finish()
        self.task = self.progress.add_task(description, total=total)

    def advance(self, amount: float) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)

    def _finish(self) -> None:
        if self.task is not None:
            total = self.progress.tasks[self.task].total
            self.progress.update(self.task, total=total or 1, completed=total or 1)
