from django.apps import AppConfig


class PublicPortalConfig(AppConfig):
    name = "public_portal"
    verbose_name = "Портал услуги"
