from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .api import error_body


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def error_response(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """An error in the shape the caller reads: JSON for the API, a Russian page for people."""
    if wants_json(request):
        return JsonResponse(error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False})
    return render(request, "error.html", {"status": status, "message": message, "code": code}, status=status)
