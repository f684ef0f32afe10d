"""Small helpers for server-rendered pages: domain errors become Russian pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .errors import DomainError, NotFound, PermissionDenied


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors are sent to sign in; refusals and missing objects render
    the error page with the right status."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except (PermissionDenied, NotFound) as exc:
            if isinstance(exc, PermissionDenied):
                from .access import record_denied

                record_denied(request, exc)
            return render(request, "error.html", {"status": exc.status, "message": exc.message}, status=exc.status)

    return wrapper


def form_error(form: Any, exc: DomainError) -> None:
    """Puts a service's validation error onto the form, field by field."""
    placed = False
    for field, messages in (exc.fields or {}).items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
