"""Celery tasks of the journal: housekeeping run by beat in the public schema, visiting every school."""

from __future__ import annotations

import logging
from typing import Any

from config.celery import app
from tenants.db import use_public, use_school

from .attachments import sweep_orphan_files

logger = logging.getLogger(__name__)


@app.task(bind=True, acks_late=True)
def sweep_lesson_files(self: Any) -> dict[str, int]:
    """Beat (nightly): in every school, lesson files no attachment row names and older than a day go."""
    from tenants.models import School

    deleted = 0
    try:
        for school in list(School.objects.real()):
            use_school(school)
            try:
                gone = sweep_orphan_files(school.schema_name)
            except Exception:
                logger.exception("lesson files sweep: school %s failed", school.schema_name)
                continue
            if gone:
                logger.info("lesson files sweep: %s orphan files of school %s deleted", len(gone), school.schema_name)
            deleted += len(gone)
    finally:
        use_public()
    return {"deleted": deleted}
