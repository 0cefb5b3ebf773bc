from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safespaces.accounts"
    label = "accounts"
    verbose_name = "Accounts"
