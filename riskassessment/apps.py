from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskAssessmentConfig(AppConfig):
    name = "riskassessment"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        # The home page and the menu show this app, and seed_demo adds its demo, without the
        # platform importing it.
        from riskassessment import demo
        from riskassessment.alerts import alert_kinds_register
        from riskassessment.dashboard import panel
        from safespaces import demo as platform_demo
        from safespaces.accounts.roles import Role
        from safespaces.dashboard import register
        from safespaces.navigation import Link, menu_register, role_at_least

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
        # Last: its situations link the other demos' actors and incidents.
        platform_demo.register(demo.seed, order=30)
