from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.defaultfilters import filesizeformat

from incidents.services import ORPHAN_MIN_AGE, TooManyOrphans, attachment_orphans_remove


class Command(BaseCommand):
    help = (
        "Remove stored attachment files that no attachment refers to (left by failed uploads "
        f"and deleted attachments), if older than {ORPHAN_MIN_AGE}. The worker runs this daily."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be removed; remove nothing."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Remove even when more than half of the files have no attachment.",
        )

    def handle(self, *args: Any, dry_run: bool, force: bool, **options: Any) -> None:
        try:
            sweep = attachment_orphans_remove(dry_run=dry_run, force=force)
        except TooManyOrphans as refusal:
            raise CommandError(f"{refusal} Run again with --force if you are sure.") from refusal
        verb = "Would remove" if dry_run else "Removed"
        for name, size in sweep.removed.items():
            self.stdout.write(f"{verb} {name} ({filesizeformat(size)})")
        self.stdout.write(
            f"{verb} {len(sweep.removed)} files no attachment refers to "
            f"({filesizeformat(sweep.freed)}); {sweep.kept} files belong to attachments."
        )
        if sweep.too_young:
            self.stdout.write(
                f"Left {len(sweep.too_young)} files younger than {ORPHAN_MIN_AGE}: their upload "
                "may still be finishing."
            )
        if sweep.not_ours:
            self.stdout.write(
                f"Left {len(sweep.not_ours)} files not named like attachments: "
                + ", ".join(sweep.not_ours)
            )
