"""Reads of the import pages and API (inside the request's school schema)."""

from __future__ import annotations

from typing import Any

from .models import ImportJob


def recent_jobs(limit: int = 20, kinds: list[str] | None = None) -> list[ImportJob]:
    """The latest jobs (of `kinds`: those the reader may import), without their per-row results
    (one query whatever their size)."""
    jobs = ImportJob.objects.select_related("created_by", "applied_by").defer("rows")
    if kinds is not None:
        jobs = jobs.filter(kind__in=kinds)
    return list(jobs[:limit])


def job(job_id: int) -> ImportJob | None:
    return ImportJob.objects.select_related("created_by", "applied_by").filter(pk=job_id).first()


def classes_for_export() -> list[Any]:
    """Classes of the open year, for «export one class»."""
    from roster.models import SchoolClass

    return list(SchoolClass.objects.filter(year__status="open").order_by("grade", "letter"))
