"""Deletes old read or delivered notices now (what beat does every night).

    python manage.py delete_old_notices             # older than NOTIFY_RETENTION_DAYS
    python manage.py delete_old_notices --days 365
    python manage.py delete_old_notices --dry-run   # only count
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.context import RequestMeta, acting_as
from notify import retention


class Command(BaseCommand):
    help = "Удалить прочитанные или доставленные оповещения старше срока хранения"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None, help="срок хранения в днях (по умолчанию NOTIFY_RETENTION_DAYS)")
        parser.add_argument("--dry-run", action="store_true", help="только посчитать")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is not None and days < 1:
            raise CommandError("Срок хранения — не меньше одного дня.")
        before = retention.cutoff(days=days)
        if options["dry_run"]:
            self.stdout.write(f"Будет удалено оповещений: {retention.old_notices(before).count()}, "
                              f"отправок без оповещений: {retention.old_deliveries(before).count()} (созданы до {before:%d.%m.%Y}).")
            return
        with acting_as(RequestMeta(channel="command")):
            result = retention.delete_old(days=days)
        self.stdout.write(f"Удалено оповещений: {result.notices}, отправок: {result.deliveries} (созданы до {before:%d.%m.%Y}).")
