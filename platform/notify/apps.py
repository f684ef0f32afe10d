from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Informing families (R-D03, R-D05, R-D09): the daily summary, immediate notices, their
    delivery by e-mail, in the platform and by web push. Lives in the public schema."""

    name = "notify"
    verbose_name = "Оповещения семей"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the journal hooks)
