from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .selectors import access_for


class TwoFactorSatisfied(BasePermission):
    """Admin roles act through the API only after 2FA: a session verified with a code,
    or a token that was created from such a session."""

    message = "Для вашей роли нужен вход с кодом подтверждения (2FA)."
    code = "otp_required"

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        if not user or not user.is_authenticated:
            return True  # IsAuthenticated decides
        if not access_for(user).needs_two_factor:
            return True
        is_verified = getattr(user, "is_verified", None)
        return bool(is_verified and is_verified())
