from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class AccountsConfig(AppConfig):
    name = "safespaces.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        _cap_second_factor_wait()


def _cap_second_factor_wait() -> None:
    """Stop django-otp's back-off growing beyond SECOND_FACTOR_MAX_WAIT.

    Its ThrottlingMixin (used by the authenticator and our backup codes) reads this module
    constant each time it works out the wait. The authenticator model is django-otp's own, so
    there is no method of ours to override without a model of our own.
    """
    from django_otp import models as otp_models

    if not hasattr(otp_models, "MAX_THROTTLE_DELAY_SECONDS"):
        # A django-otp upgrade moved it: refuse to start rather than lose the cap silently.
        raise ImproperlyConfigured(
            "django_otp.models.MAX_THROTTLE_DELAY_SECONDS is gone: cap the second-factor back-off "
            "another way (see safespaces/accounts/apps.py)."
        )
    otp_models.MAX_THROTTLE_DELAY_SECONDS = settings.SECOND_FACTOR_MAX_WAIT.total_seconds()
