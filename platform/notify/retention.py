"""Deleting old notices (R-D03 housekeeping, 152-ФЗ art. 5 §7: personal data are kept no longer
than their purpose needs). A notice is done with when the family has read it in the platform,
or it was not shown there, or a channel delivered it; after NOTIFY_RETENTION_DAYS it is deleted
with its deliveries. Finished deliveries of notices that stay (unread and undelivered) go too.
Nothing still waiting to be sent is touched.

Batches of BATCH rows, each its own short transaction (no long lock on the outbox the sender
works on); running twice, or beside another run, deletes nothing more."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import Delivery, DeliveryStatus, IndividualHomeworkChange, Notice

log = logging.getLogger(__name__)

BATCH = 1000
FINISHED = [DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]


@dataclass
class Deleted:
    notices: int = 0
    deliveries: int = 0


def cutoff(now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    keep = days if days is not None else int(getattr(settings, "NOTIFY_RETENTION_DAYS", 180))
    return (now or timezone.now()) - dt.timedelta(days=keep)


def _unfinished(notice: Any) -> QuerySet[Delivery]:
    return Delivery.objects.filter(notice=notice).exclude(status__in=FINISHED)


def old_notices(before: dt.datetime) -> QuerySet[Notice]:
    delivered = Delivery.objects.filter(notice=OuterRef("pk"), status=DeliveryStatus.SENT)
    return (Notice.objects.filter(created_at__lt=before).exclude(Exists(_unfinished(OuterRef("pk"))))
            .filter(Q(read_at__isnull=False) | Q(in_app=False) | Exists(delivered)))


def old_deliveries(before: dt.datetime) -> QuerySet[Delivery]:
    """Finished deliveries of notices that stay; a notice with a channel still at work keeps
    its whole history."""
    return (Delivery.objects.filter(created_at__lt=before, status__in=FINISHED)
            .exclude(Exists(_unfinished(OuterRef("notice_id")))))


def delete_old(*, now: dt.datetime | None = None, days: int | None = None, batch: int = BATCH) -> Deleted:
    before = cutoff(now, days)
    result = Deleted()
    while ids := list(old_notices(before).order_by().values_list("id", flat=True)[:batch]):
        with transaction.atomic():
            # Checked again inside the deletion: a delivery queued meanwhile keeps its notice.
            _, counts = old_notices(before).filter(id__in=ids).delete()
        result.notices += counts.get(Notice._meta.label, 0)
        result.deliveries += counts.get(Delivery._meta.label, 0)
        if len(ids) < batch:
            break
    while ids := list(old_deliveries(before).order_by().values_list("id", flat=True)[:batch]):
        with transaction.atomic():
            deleted, _ = old_deliveries(before).filter(id__in=ids).delete()
        result.deliveries += deleted
        if len(ids) < batch:
            break
    # The notes of individual homework are needed only as far back as a summary looks.
    from .summary import LOOKBACK

    IndividualHomeworkChange.objects.filter(changed_at__lt=(now or timezone.now()) - LOOKBACK - dt.timedelta(days=1)).delete()
    if result.notices or result.deliveries:
        log.info("notify: deleted %s notices and %s deliveries older than %s", result.notices, result.deliveries,
                 before.isoformat())
    return result
