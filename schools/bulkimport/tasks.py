"""Celery tasks: thin, take ids, and run in the school's schema (tenant-schemas-celery
carries it in a header). A redelivered task finds its job done and does nothing. The sweep
of abandoned jobs runs from beat in public and visits every school itself."""

from __future__ import annotations

from typing import Any

from config.celery import app
from core.context import RequestMeta, acting_as
from tenants.db import use_public

from . import services

FAILED = services.FAILED


@app.task(bind=True, acks_late=True)
def check_import(self: Any, job_id: int) -> None:
    with acting_as(RequestMeta(channel="task")):
        try:
            services.check_job(job_id)
        except Exception:
            services.fail_stuck(job_id, FAILED)
            raise


@app.task(bind=True, acks_late=True)
def apply_import(self: Any, job_id: int) -> None:
    with acting_as(RequestMeta(channel="task")):
        try:
            services.apply_job(job_id)
        except Exception:
            services.fail_stuck(job_id, FAILED)
            raise


@app.task(bind=True, acks_late=True)
def fail_abandoned_imports(self: Any) -> dict[str, int]:
    """Beat (every 10 minutes): in every school, a check or an import whose process was killed
    (silent for BULKIMPORT_STUCK_MINUTES) becomes «failed», so the user can upload again."""
    use_public()
    with acting_as(RequestMeta(channel="task")):
        return {"failed": services.fail_abandoned_everywhere()}
