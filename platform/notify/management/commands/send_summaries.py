"""Builds and sends the daily summaries now (what beat does at each family's chosen time).

    python manage.py send_summaries            # the families whose time has come
    python manage.py send_summaries --now      # everybody who has not had today's (a demo)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.context import RequestMeta, acting_as
from notify import sender, summary


class Command(BaseCommand):
    help = "Собрать и отправить ежедневные сводки семьям"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", action="store_true", help="не ждать выбранного семьёй времени")

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(RequestMeta(channel="command")):
            built = summary.build_summaries(ignore_time=options["now"])
            sent = sender.send_pending()
        self.stdout.write(f"Сводок: {built.created} (проверено семей: {built.considered}); "
                          f"отправлено писем и push: {sent.sent}, отложено: {sent.retry_later}, пропущено: {sent.skipped}")
