"""`ensure_template`: create and migrate the school template schema if it is missing or stale.

Run after `migrate_schemas --shared` on deployment (the migrations job) so that the
first school created afterwards does not pay for migrating the template.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants import provisioning


class Command(BaseCommand):
    help = "Создаёт и обновляет схему-шаблон, из которой копируются новые школы."

    def handle(self, *args: Any, **options: Any) -> None:
        template = provisioning.template_schema()
        if provisioning.ensure_template():
            self.stdout.write(self.style.SUCCESS(f"Схема-шаблон {template} создана или обновлена."))
        else:
            self.stdout.write(f"Схема-шаблон {template} актуальна.")
