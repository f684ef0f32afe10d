"""Putting notices into the outbox. Called in the transaction of their cause (a journal save)
or by the summary builder; the unique keys make a second call a no-op."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.utils import timezone

from .models import Channel, ContactEmail, Delivery, Notice, NoticeKind, NotifySettings, PushSubscription

DEFAULTS = NotifySettings()


@dataclass
class Draft:
    recipient_id: int
    kind: str
    key: str
    title: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)
    school_schema: str = ""
    covers_until: dt.datetime | None = None


def push_enabled() -> bool:
    return bool(getattr(settings, "NOTIFY_PUSH_ENABLED", False))


def settings_of(person_ids: Iterable[int]) -> dict[int, NotifySettings]:
    ids = list(person_ids)
    found = {s.person_id: s for s in NotifySettings.objects.filter(person_id__in=ids)}
    return {pid: found.get(pid, DEFAULTS) for pid in ids}


def message_id(delivery_key: str) -> str:
    domain = getattr(settings, "NOTIFY_MESSAGE_ID_DOMAIN", "zhurnal.local")
    return f"<{delivery_key}@{domain}>"


def enqueue(drafts: list[Draft], *, now: dt.datetime | None = None,
            prefs: dict[int, NotifySettings] | None = None) -> list[Notice]:
    """Creates each notice once (per recipient, kind and key) with a delivery per channel the
    recipient chose and can receive on. Returns the notices (new or already there)."""
    if not drafts:
        return []
    now = now or timezone.now()
    recipients = {d.recipient_id for d in drafts}
    prefs = prefs if prefs is not None else settings_of(recipients)
    emails = set(ContactEmail.objects.filter(person_id__in=recipients, confirmed_at__isnull=False, bounced_at__isnull=True)
                 .values_list("person_id", flat=True))
    pushers = set(PushSubscription.objects.filter(person_id__in=recipients).values_list("person_id", flat=True)) \
        if push_enabled() else set()
    # Value(body): a SQL expression among the values makes Django 5.2 insert with VALUES rather
    # than UNNEST(arrays); psycopg's client-side quoting of a text array escapes every element
    # with a regex, which cost ~1.5 ms per summary (measured with ops/bench/bench_notify.py).
    notices = [Notice(recipient_id=d.recipient_id, kind=d.kind, key=d.key, title=d.title[:200], body=Value(d.body),
                      payload=d.payload,
                      school_schema=d.school_schema, covers_until=d.covers_until,
                      in_app=d.kind != NoticeKind.EMAIL_CONFIRM and prefs[d.recipient_id].in_app)
               for d in drafts]
    with transaction.atomic():
        # An existing row is kept as it is ("update" of the key to itself) and its id returned.
        Notice.objects.bulk_create(notices, update_conflicts=True, unique_fields=["recipient", "kind", "key"],
                                   update_fields=["key"], batch_size=2000)
        deliveries = []
        for n in notices:
            p = prefs[n.recipient_id]
            channels = []
            if n.kind == NoticeKind.EMAIL_CONFIRM or (p.by_email and n.recipient_id in emails):
                channels.append(Channel.EMAIL)
            if n.kind != NoticeKind.EMAIL_CONFIRM and p.by_push and n.recipient_id in pushers:
                channels.append(Channel.PUSH)
            for channel in channels:
                deliveries.append(Delivery(notice_id=n.pk, channel=channel, next_attempt_at=now,
                                           message_id=message_id(f"{n.pk}.{channel}")))
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=2000)
    return notices


def kick_sender() -> None:
    """After commit: ask a worker to send now (the beat schedule would pick it up anyway)."""
    if getattr(settings, "NOTIFY_KICK_SENDER", not settings.TESTING):
        from .tasks import send_pending

        try:
            send_pending.apply_async(headers={"_schema_name": "public"})
        except Exception:  # the broker being down must never fail the journal write; beat retries
            import logging

            logging.getLogger(__name__).warning("notify: could not queue the sender", exc_info=True)
