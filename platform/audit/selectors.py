from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from .models import AuditRecord


def filtered_log(*, school_id: int | None, all_schools: bool, filters: dict[str, Any]) -> QuerySet[AuditRecord]:
    """The audit log, newest first. `all_schools` (district administrators) reads
    everything; otherwise only the given school's records."""
    qs = AuditRecord.objects.select_related("school")
    if not all_schools:
        qs = qs.filter(school_id=school_id) if school_id is not None else qs.none()
    elif filters.get("school"):
        qs = qs.filter(school__slug=filters["school"])
    if filters.get("action"):
        qs = qs.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters.get("object"):
        qs = qs.filter(object_repr__icontains=filters["object"])
    for key, lookup in (("date_from", "at__date__gte"), ("date_to", "at__date__lte")):
        value = filters.get(key)
        if isinstance(value, dt.date):
            qs = qs.filter(**{lookup: value})
    return qs.order_by("-at", "-id")
