"""Putting notices into the outbox. Called in the transaction of their cause (a journal save)
or by the summary builder; the unique keys make a second call a no-op."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from . import push
from .models import Channel, ContactEmail, DeliveryStatus, NoticeKind, NotifySettings, PushSubscription

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


# messaging.services._tell_administration marks its notices of an abuse report so (kind "message").
ABUSE_REPORT = "abuse_report"


def wanted(draft: Draft, prefs: NotifySettings) -> bool:
    """Whether the recipient wants a notice of this kind at all (the kinds a builder does not
    filter itself): a member of the administration may switch abuse reports off (R-D06; the open
    reports stay counted on their messaging tab)."""
    if draft.payload.get("what") == ABUSE_REPORT:
        return prefs.abuse_reports_now
    return True


def push_enabled() -> bool:
    """Push deliveries are created only when the server can send them (switch and both keys)."""
    return push.configured()


def settings_of(person_ids: Iterable[int]) -> dict[int, NotifySettings]:
    ids = list(person_ids)
    found = {s.person_id: s for s in NotifySettings.objects.filter(person_id__in=ids)}
    return {pid: found.get(pid, DEFAULTS) for pid in ids}


_INCOMING = """CREATE TEMPORARY TABLE IF NOT EXISTS notify_incoming (
    recipient_id bigint, kind varchar(16), key varchar(200), title varchar(200), body text, payload jsonb,
    school_schema varchar(63), in_app boolean, covers_until timestamptz, by_email boolean, by_push boolean)"""


def enqueue(drafts: list[Draft], *, now: dt.datetime | None = None,
            prefs: dict[int, NotifySettings] | None = None, deliver_at: dt.datetime | None = None) -> int:
    """Creates each notice once (per recipient, kind and key) with a delivery per channel the
    recipient chose and can receive on; a notice already there is left as it is. Returns the
    number of drafts. `deliver_at`: the channels wait until then (a notice that may still be
    withdrawn, see notify.immediate.withdraw_absence).

    Families and staff alike (R-D03, R-D06): the channels are the recipient's settings (no row:
    the list on, e-mail on as soon as an address is confirmed, so none before); a draft of a kind
    the recipient switched off (`wanted`) is dropped.

    The rows are COPYed into a temporary table and inserted from it with ON CONFLICT DO NOTHING:
    at 10,000 summaries the ORM's bulk_create spent most of the builder's time quoting values
    on the client (ops/bench/bench_notify.py)."""
    if not drafts:
        return 0
    now = now or timezone.now()
    recipients = {d.recipient_id for d in drafts}
    prefs = prefs if prefs is not None else settings_of(recipients)
    drafts = [d for d in drafts if wanted(d, prefs[d.recipient_id])]
    if not drafts:
        return 0
    emails = set(ContactEmail.objects.filter(person_id__in=recipients, confirmed_at__isnull=False, bounced_at__isnull=True)
                 .values_list("person_id", flat=True))
    pushers = set(PushSubscription.objects.filter(person_id__in=recipients).values_list("person_id", flat=True)) \
        if push_enabled() else set()
    domain = getattr(settings, "NOTIFY_MESSAGE_ID_DOMAIN", "zhurnal.local")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_INCOMING)
        cursor.execute("DELETE FROM notify_incoming")
        with cursor.cursor.copy("COPY notify_incoming FROM STDIN") as copy:  # type: ignore[attr-defined]
            for d in drafts:
                p = prefs[d.recipient_id]
                confirm = d.kind == NoticeKind.EMAIL_CONFIRM
                by_email = confirm or (p.by_email and d.recipient_id in emails)
                by_push = not confirm and p.by_push and d.recipient_id in pushers
                # No channel can bring it (the address bounced or is unconfirmed, no browser): the
                # platform's list shows it even if the family switched the list off.
                in_app = not confirm and (p.in_app or not (by_email or by_push))
                copy.write_row((d.recipient_id, d.kind, d.key, d.title[:200], d.body, Jsonb(d.payload), d.school_schema,
                                in_app, d.covers_until, by_email, by_push))
        cursor.execute(
            "INSERT INTO notify_notice (recipient_id, kind, key, title, body, payload, school_schema, in_app, covers_until, created_at)"
            " SELECT recipient_id, kind, key, title, body, payload, school_schema, in_app, covers_until, %s FROM notify_incoming"
            " ON CONFLICT (recipient_id, kind, key) DO NOTHING", [now])
        cursor.execute(
            "INSERT INTO notify_delivery (notice_id, channel, status, attempts, next_attempt_at, claim, message_id, last_error,"
            " created_at)"
            " SELECT n.id, c.channel, %s, 0, %s, '', '<' || n.id || '.' || c.channel || '@' || %s || '>', '', %s"
            " FROM notify_incoming i JOIN notify_notice n ON n.recipient_id = i.recipient_id AND n.kind = i.kind AND n.key = i.key"
            " CROSS JOIN LATERAL (VALUES (%s, i.by_email), (%s, i.by_push)) AS c(channel, wanted) WHERE c.wanted"
            " ON CONFLICT (notice_id, channel) DO NOTHING",
            [DeliveryStatus.PENDING, deliver_at or now, domain, now, Channel.EMAIL, Channel.PUSH])
        cursor.execute("DELETE FROM notify_incoming")
    return len(drafts)


def kick_sender() -> None:
    """After commit: ask a worker to send now (the beat schedule would pick it up anyway)."""
    if getattr(settings, "NOTIFY_KICK_SENDER", not settings.TESTING):
        from .tasks import send_pending

        try:
            send_pending.apply_async(headers={"_schema_name": "public"})
        except Exception:  # the broker being down must never fail the journal write; beat retries
            import logging

            logging.getLogger(__name__).warning("notify: could not queue the sender", exc_info=True)
