"""Sentry, with children's and staff's personal data scrubbed before an event leaves."""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

# Keys whose values are personal data under 152-ФЗ or secrets.
_SENSITIVE_KEYS = re.compile(
    r"(surname|name|patronymic|login|e-?mail|phone|address|birth|snils|password|passwd|secret|token|"
    r"otp|code|session|cookie|csrf|authorization|ip)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
FILTERED = "[скрыто]"


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 8:
        return FILTERED
    if isinstance(value, dict):
        return {k: (FILTERED if isinstance(k, str) and _SENSITIVE_KEYS.search(k) else _scrub(v, depth + 1)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, depth + 1) for v in value]
    if isinstance(value, str):
        return _EMAIL.sub(FILTERED, value)
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Drop the user, request bodies, cookies, headers and local variables' personal data."""
    event.pop("user", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "headers", "env", "query_string"):
            request.pop(key, None)
    for exc in (event.get("exception") or {}).get("values", []) or []:
        for frame in (exc.get("stacktrace") or {}).get("frames", []) or []:
            if "vars" in frame:
                frame["vars"] = _scrub(frame["vars"])
    if "extra" in event:
        event["extra"] = _scrub(event["extra"])
    for crumb in (event.get("breadcrumbs") or {}).get("values", []) or []:
        if "message" in crumb and isinstance(crumb["message"], str):
            crumb["message"] = _EMAIL.sub(FILTERED, crumb["message"])
        if "data" in crumb:
            crumb["data"] = _scrub(crumb["data"])
    return event


def init_sentry(dsn: str, *, environment: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        before_send=scrub_event,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
    )
