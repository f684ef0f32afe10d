"""Celery tasks: thin, run in the public schema (they switch to each school themselves).
Safe to run twice or concurrently: the outbox's unique keys and row claims see to it."""

from __future__ import annotations

from typing import Any

from django.db import connection

from config.celery import app
from core.context import RequestMeta, acting_as
from tenants.db import use_public

from . import retention, sender, summary

SUMMARY_LOCK = 0x6E6F7469  # "noti": one summary builder at a time (another run just returns)


@app.task(bind=True, acks_late=True)
def build_due_summaries(self: Any) -> dict[str, int]:
    use_public()
    with acting_as(RequestMeta(channel="task")), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SUMMARY_LOCK])
        if not cursor.fetchone()[0]:
            return {"skipped": 1}
        try:
            result = summary.build_summaries()
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SUMMARY_LOCK])
    if result.created:
        send_pending.apply_async(headers={"_schema_name": "public"})
    return {"considered": result.considered, "created": result.created}


@app.task(bind=True, acks_late=True)
def send_pending(self: Any) -> dict[str, int]:
    """Sends what is due. Rows the mail server refused wait in the outbox with their own
    backoff; the beat schedule wakes this task every minute, so no Celery retry is needed."""
    use_public()
    with acting_as(RequestMeta(channel="task")):
        result = sender.send_pending()
    return {"sent": result.sent, "retry_later": result.retry_later, "failed": result.failed, "skipped": result.skipped}


@app.task(bind=True, acks_late=True)
def delete_old_notices(self: Any) -> dict[str, int]:
    """Nightly: read or delivered notices older than NOTIFY_RETENTION_DAYS (see notify.retention)."""
    use_public()
    with acting_as(RequestMeta(channel="task")):
        result = retention.delete_old()
    return {"notices": result.notices, "deliveries": result.deliveries}
