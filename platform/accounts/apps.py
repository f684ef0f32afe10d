from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Люди и доступ"

    def ready(self) -> None:
        from . import signals  # noqa: F401
