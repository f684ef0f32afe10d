"""Makes the district's VAPID key pair for Web Push and prints it as environment lines.

    python manage.py vapid_keys

Put both lines into the deployment's secret (never into the repository). Browsers subscribe
with the public key: a new pair makes every existing subscription useless, and families switch
push on again (the settings page re-subscribes by itself when it sees the key changed)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notify import push


class Command(BaseCommand):
    help = "Создать пару ключей VAPID для push-уведомлений и вывести строки для окружения"

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = push.new_key_pair()
        self.stdout.write("# Секрет: в секреты развёртывания, не в репозиторий. Новая пара отменяет все подписки браузеров.")
        self.stdout.write(f"NOTIFY_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"NOTIFY_VAPID_PRIVATE_KEY={private}")
