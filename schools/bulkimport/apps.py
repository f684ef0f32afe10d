from django.apps import AppConfig


class BulkImportConfig(AppConfig):
    name = "bulkimport"
    verbose_name = "Импорт и экспорт"
