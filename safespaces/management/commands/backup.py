from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress

from safespaces.backup.databases import BackupError
from safespaces.backup.progress import ProgressSteps
from safespaces.backup.services import backup_write


class Command(BaseCommand):
    help = (
        "Write one archive (.tar.gz, mode 0600) of the database and the attachments, with a "
        "manifest of row counts and SHA-256 hashes. The app may go on running. The keys are "
        "never in it: keep them in the key backup."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "destination",
            type=Path,
            help="a folder (the archive is named by the UTC time) or the archive's name (.tar.gz)",
        )

    def handle(self, *args: Any, destination: Path, **options: Any) -> None:
        try:
            with Progress(disable=not self.stdout.isatty()) as bar:
                result = backup_write(destination=destination, steps=ProgressSteps(bar))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backup written: {result.archive} ({result.size:,} bytes, readable by its owner "
            f"only). Tables: {result.tables}. Rows: {result.rows:,}. "
            f"Attachment files: {result.files:,}."
        )
        if result.vanished:
            self.stdout.write(
                f"{result.vanished} files were removed while the backup ran and are not in it "
                "(files of uploads that failed, which no record names)."
            )
        self.stdout.write(
            "The keys are not in the archive: a restore needs them from the key backup."
        )
