"""Path routing: /s/<slug>/… and /api/v1/schools/<slug>/… select the school's schema.

The school is resolved once per request; a request that names no school stays in the
public schema and never touches a school schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from core.responses import error_response

from .db import use_public, use_school
from .models import School

SCHOOL_PATH = re.compile(r"^/(?:s|api/v1/schools)/(?P<slug>[^/]+)(?:/|$)")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SchoolFromPathMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        use_public()
        request.school = None  # type: ignore[attr-defined]
        match = SCHOOL_PATH.match(request.path_info)
        if match:
            slug = match["slug"]
            school = (
                School.objects.filter(slug=slug).exclude(schema_name=settings.ZHURNAL_TEMPLATE_SCHEMA).first()
            )
            if school is None:
                return error_response(request, 404, "not_found", "Школа не найдена.")
            request.school = school  # type: ignore[attr-defined]
            use_school(school)
        try:
            return self.get_response(request)
        finally:
            use_public()


class ReadOnlySchoolMiddleware:
    """A suspended or archived school is read-only for everyone (services check too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        school: School | None = getattr(request, "school", None)
        if school is not None and not school.is_writable and request.method not in SAFE_METHODS:
            return error_response(
                request, 403, "school_read_only", "Школа приостановлена или в архиве: изменения запрещены."
            )
        return self.get_response(request)
