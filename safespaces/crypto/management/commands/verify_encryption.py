from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from safespaces.crypto.services import count_encrypted_rows, count_sealed_files, encryption_verify


class Command(BaseCommand):
    help = (
        "Decrypt every stored encrypted value and open every sealed file (attachments); report "
        "the ones that fail by record, never showing a value or a file name."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = count_encrypted_rows() + count_sealed_files()
        with Progress(disable=not self.stdout.isatty()) as bar:
            task = bar.add_task("Decrypting", total=total)
            result = encryption_verify(progress=lambda n: bar.advance(task, n))
        for failure in result.failures + result.file_failures:
            self.stderr.write(failure)
        self.stdout.write(
            f"Values checked: {result.values_checked}. Failures: {len(result.failures)}."
        )
        self.stdout.write(
            f"Files checked: {result.files_checked}. Failures: {len(result.file_failures)}."
        )
        problems = []
        if result.failures:
            problems.append(f"{len(result.failures)} values could not be decrypted")
        if result.file_failures:
            problems.append(f"{len(result.file_failures)} files could not be opened")
        if problems:
            raise CommandError("; ".join(problems))
