"""Health endpoints for load balancers and Kubernetes probes.

- ``/health/live``: the process answers (liveness); touches nothing else.
- ``/health/``: the process can do its work (readiness): the database answers
  ``SELECT 1`` and the Celery broker accepts a connection. 200 when all is well,
  503 otherwise.

No authentication, and nothing in the answer but "ok"/"fail" per check: no host names,
versions, error texts or settings (the reason for a failure goes to the log).
Included from config/urls.py as ``path("health/", include("core.health"))``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0
OK, FAIL = "ok", "fail"


def check_database() -> None:
    """Raise if the default database does not answer."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    if not row or row[0] != 1:
        raise RuntimeError("unexpected answer to SELECT 1")


def check_broker() -> None:
    """Raise if the Celery broker cannot be reached.

    The file-system fallback has no server: its folders must exist and be writable.
    """
    url: str = settings.CELERY_BROKER_URL
    options: dict[str, object] = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    if url.startswith("filesystem://"):
        folders = {str(options[key]) for key in ("data_folder_in", "data_folder_out") if key in options}
        if not folders:
            raise RuntimeError("filesystem broker without data folders")
        for folder in folders:
            if not Path(folder).is_dir() or not os.access(folder, os.W_OK | os.X_OK):
                raise RuntimeError(f"broker folder missing or not writable: {folder}")
        return

    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options) as conn:
        # One attempt, no retry loop: a probe must answer quickly.
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
}


def run_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # any failure of a dependency is a failed check, never a 500
            logger.warning("health check %s failed", name, exc_info=True)
            results[name] = FAIL
        else:
            results[name] = OK
    return results


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    checks = run_checks()
    healthy = all(value == OK for value in checks.values())
    return JsonResponse({"status": OK if healthy else FAIL, "checks": checks}, status=200 if healthy else 503)


@never_cache
@require_safe
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


urlpatterns = [
    path("", health, name="health"),
    path("live", live, name="health-live"),
    path("live/", live),
]
