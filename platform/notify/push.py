"""Web Push. Subscriptions are stored for every browser a family allows; sending needs the
`pywebpush` library and the district's VAPID keys (settings NOTIFY_PUSH_ENABLED,
NOTIFY_VAPID_PUBLIC_KEY, NOTIFY_VAPID_PRIVATE_KEY, NOTIFY_VAPID_SUBJECT). Without them the
push deliveries are not created (and, if switched off later, are skipped): families still
get the platform's list and e-mail."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings

from .models import Notice, PushSubscription

log = logging.getLogger(__name__)


def public_key() -> str:
    return str(getattr(settings, "NOTIFY_VAPID_PUBLIC_KEY", "") or "")


def configured() -> bool:
    if not (getattr(settings, "NOTIFY_PUSH_ENABLED", False) and public_key() and getattr(settings, "NOTIFY_VAPID_PRIVATE_KEY", "")):
        return False
    try:
        import pywebpush  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def payload_of(notice: Notice) -> str:
    return json.dumps({"title": notice.title, "body": notice.body[:300], "url": "/notify/notices/", "id": notice.pk},
                      ensure_ascii=False)


def send_to(subscriptions: list[PushSubscription], payload: str) -> tuple[int, list[int], int]:
    """(delivered, ids of subscriptions the push service says are gone, other failures)."""
    delivered, gone, failed = 0, [], 0
    for sub in subscriptions:
        status = web_push(sub, payload)
        if status in (404, 410):
            gone.append(sub.pk)
        elif status is not None and 200 <= status < 300:
            delivered += 1
        else:
            failed += 1
    return delivered, gone, failed


def web_push(sub: PushSubscription, payload: str) -> int | None:
    """One push; returns the push service's HTTP status (None if it could not be reached)."""
    from pywebpush import WebPushException, webpush

    try:
        response: Any = webpush(
            subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=payload, vapid_private_key=settings.NOTIFY_VAPID_PRIVATE_KEY,
            vapid_claims={"sub": getattr(settings, "NOTIFY_VAPID_SUBJECT", "mailto:zhurnal@localhost")}, ttl=24 * 3600,
        )
        return int(getattr(response, "status_code", 201))
    except WebPushException as exc:
        return int(getattr(getattr(exc, "response", None), "status_code", 0) or 0) or None
    except Exception:
        log.warning("notify: push failed", exc_info=True)
        return None
