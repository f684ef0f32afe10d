"""One JSON error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError, PermissionDenied

_MESSAGES = {
    "not_authenticated": "Требуется вход в систему.",
    "authentication_failed": "Неверные учётные данные.",
    "permission_denied": "Недостаточно прав для этого действия.",
    "not_found": "Не найдено.",
    "method_not_allowed": "Метод не разрешён.",
    "parse_error": "Некорректный JSON в теле запроса.",
    "unsupported_media_type": "Неподдерживаемый тип содержимого.",
    "throttled": "Слишком много запросов, повторите позже.",
    "invalid": "Данные не прошли проверку.",
    "not_acceptable": "Неподдерживаемый формат ответа.",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if request is not None and (
        isinstance(exc, PermissionDenied | exceptions.PermissionDenied)
        or (isinstance(exc, exceptions.NotAuthenticated) and getattr(request, "school", None) is not None)
    ):
        from .access import record_denied

        record_denied(request, exc if isinstance(exc, PermissionDenied) else PermissionDenied(str(exc.detail)))
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields or None), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(exc, exceptions.ValidationError):
            fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
            response.data = error_body("invalid", _MESSAGES["invalid"], fields)
        else:
            code = codes if isinstance(codes, str) else exc.default_code
            if response.status_code == status.HTTP_401_UNAUTHORIZED or code == "not_authenticated":
                code = "not_authenticated"
            response.data = error_body(code, _MESSAGES.get(code, str(exc.detail)))
    return response
