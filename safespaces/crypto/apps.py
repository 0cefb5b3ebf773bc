from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "safespaces.crypto"
    label = "crypto"
    verbose_name = "Encryption at rest"

    def ready(self) -> None:
        from safespaces.crypto import checks  # noqa: F401  (registers the system checks)
