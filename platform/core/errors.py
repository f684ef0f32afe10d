"""Domain errors raised by services. Pages show `message` (Russian); the API returns
{"error": {"code": code, "message": message, "fields": {...}}} with `status`."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "Недостаточно прав для этого действия.", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class NotFound(DomainError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "Не найдено.", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class Conflict(DomainError):
    status = 409
    code = "conflict"


class SchoolReadOnly(DomainError):
    status = 403
    code = "school_read_only"

    def __init__(self, message: str = "Школа приостановлена или в архиве: изменения запрещены.", **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
