from datetime import time

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskAssessmentConfig(AppConfig):
    name = "riskassessment"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        # The home page and the menu show this app, a person's access report covers the
        # situations they take part in, and seed_demo adds its demo, without the platform
        # importing it.
        from riskassessment import demo
        from riskassessment.alerts import (
            alert_kinds_register,
            measures_overdue_digest,
            situations_due_digest,
        )
        from riskassessment.dashboard import panel
        from riskassessment.selectors import records_naming_person
        from safespaces import demo as platform_demo
        from safespaces.accounts.roles import Role
        from safespaces.dashboard import register
        from safespaces.navigation import Link, menu_register, role_at_least
        from safespaces.people import naming
        from safespaces.worker.recurring import DailyAt, WeeklyAt, recurring_register

        menu_register(
            Link(
                _("Risks"),
                "riskassessment:register",
                20,
                role_at_least(Role.COORDINATOR),
                section="riskassessment",
            )
        )
        register(panel, order=30)
        alert_kinds_register()
        naming.register(records_naming_person)
        # At the start of a working day on the organization's clock; the weekly one on Mondays.
        recurring_register(measures_overdue_digest, schedule=DailyAt(time(7, 0)))
        recurring_register(situations_due_digest, schedule=WeeklyAt(0, time(7, 0)))
        # Last: its situations link the other demos' actors and incidents.
        platform_demo.register(demo.seed, order=30)
