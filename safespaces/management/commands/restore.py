from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from rich.progress import Progress

from safespaces.backup.databases import BackupError
from safespaces.backup.progress import ProgressSteps
from safespaces.backup.services import backup_restore


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into an empty database and an empty attachments "
        "folder, after checking every member against the manifest. Refuses a database that "
        "holds anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="the .tar.gz written by `backup`")

    def handle(self, *args: Any, archive: Path, **options: Any) -> None:
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            with Progress(disable=not self.stdout.isatty()) as bar:
                result = backup_restore(archive=archive, steps=ProgressSteps(bar))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Restored the backup of {result.created_at}. Tables: {result.tables}. "
            f"Rows: {result.rows:,}. Attachment files: {result.files:,}. "
            "The row counts match the manifest."
        )
        self.stdout.write(
            "Next, with this installation's keys from the key backup: "
            "python manage.py verify_encryption && python manage.py audit_verify"
        )
        if connection.vendor == "postgresql":
            self.stdout.write(
                "Then, as after every release: python manage.py migrate, and "
                "python manage.py grant_app_role <app role> (grants were not restored)."
            )
