from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from safespaces.crypto.services import count_encrypted_rows, encryption_verify


class Command(BaseCommand):
    help = "Decrypt every stored encrypted value and report the ones that fail (no values shown)."

    def handle(self, *args: Any, **options: Any) -> None:
        with Progress(disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("Decrypting", total=count_encrypted_rows())
            result = encryption_verify(progress=lambda n: bar.advance(task, n))
        for failure in result.failures:
            self.stderr.write(failure)
        self.stdout.write(
            f"Values checked: {result.values_checked}. Failures: {len(result.failures)}."
        )
        if result.failures:
            raise CommandError(f"{len(result.failures)} values could not be decrypted")
