from django.apps import AppConfig


class SchoolYearConfig(AppConfig):
    name = "schoolyear"
    verbose_name = "Учебный год и календарь"
