"""Fetch-and-authorise helpers that every school or district view calls first
(Healthchecks' `_get_check_for_user`, Zulip's `access_*_by_*`). A refusal is recorded
in the audit log and raised as core.errors.PermissionDenied / NotFound."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from audit.services import record_refusal

from .errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School


def _refuse(request: HttpRequest, school: School | None, reason: str) -> PermissionDenied:
    exc = PermissionDenied()
    record_denied(request, exc, reason)
    return exc


def record_denied(request: HttpRequest, exc: PermissionDenied, reason: str = "") -> None:
    """Every refusal reaches the audit log once, wherever it was raised (an access
    helper, a service, a view); pages and the API call this on their way out."""
    if getattr(exc, "recorded", False):
        return
    exc.recorded = True  # type: ignore[attr-defined]
    record_refusal(
        actor=getattr(request, "user", None), school=getattr(request, "school", None),
        what=f"{request.method} {request.path}", reason=reason or exc.message,
    )


def access_school(request: HttpRequest, perm: str | None = None) -> tuple[School, Access]:
    """The request's school, if the user holds a role there (and `perm` when given)."""
    from accounts.selectors import access_for

    school: School | None = getattr(request, "school", None)
    if school is None:
        raise NotFound("Школа не найдена.")
    user: Any = request.user
    if not user.is_authenticated:
        raise _refuse(request, school, "not_authenticated")
    access = access_for(user)
    if not access.is_member_of(school):
        raise _refuse(request, school, "not_a_member")
    if perm is not None and not access.can(perm, school):
        raise _refuse(request, school, f"missing {perm}")
    return school, access


def access_district(request: HttpRequest, perm: str) -> Access:
    from accounts.selectors import access_for

    user: Any = request.user
    if not user.is_authenticated:
        raise _refuse(request, None, "not_authenticated")
    access = access_for(user)
    if not access.can(perm):
        raise _refuse(request, None, f"missing {perm}")
    return access
