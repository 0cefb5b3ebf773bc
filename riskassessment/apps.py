from django.apps import AppConfig


class RiskAssessmentConfig(AppConfig):
    name = "riskassessment"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        # The home page shows what is due here without the platform importing this app.
        from riskassessment.dashboard import panel
        from safespaces.dashboard import register

        register(panel)
