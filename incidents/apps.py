from datetime import time, timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        # The platform's menu and home page offer the incident book, a person's access report
        # covers the incidents that name them, and seed_demo adds its demo, without importing
        # this app.
        from incidents import demo
        from incidents.alerts import alert_kinds_register
        from incidents.attachments import attachments_check
        from incidents.dashboard import actions
        from incidents.models import Attachment
        from incidents.selectors import records_naming_person
        from incidents.tasks import attachment_orphans_sweep, month_changes_fold_run
        from safespaces import demo as platform_demo
        from safespaces.crypto.services import SealedFiles, sealed_files_register
        from safespaces.dashboard import register
        from safespaces.navigation import Link, menu_register
        from safespaces.people import naming
        from safespaces.worker.recurring import DailyAt, Every, recurring_register

        menu_register(Link(_("Incidents"), "incidents:list", 10, section="incidents"))
        register(actions, order=10)
        alert_kinds_register()
        naming.register(records_naming_person)
        # verify_encryption opens every attachment, not only the key sealed in its row.
        sealed_files_register(
            SealedFiles(
                "incidents.Attachment",
                count=Attachment._base_manager.count,
                check=attachments_check,
            )
        )
        # After the allies' demo, whose actors are these incidents' sources.
        platform_demo.register(demo.seed, order=20)
        # At night, after the task results are pruned: files left by failed uploads go.
        recurring_register(attachment_orphans_sweep, schedule=DailyAt(time(3, 30)))
        # The trends' month revisions stay a look-up of a few rows (incidents.monthly).
        recurring_register(month_changes_fold_run, schedule=Every(timedelta(hours=1)))
