"""Celery tasks: thin, take ids, and run in the school's schema (tenant-schemas-celery
carries it in a header). A redelivered task finds its job done and does nothing."""

from __future__ import annotations

from typing import Any

from config.celery import app
from core.context import RequestMeta, acting_as

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
