"""Session policy (staff: 30 minutes idle, 12 hours at most) and mandatory 2FA."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from core.responses import error_response

from .selectors import access_for, is_staff_person

# How often the last-activity stamp is written (a write per request would be wasteful).
TOUCH_EVERY = 60
TWO_FACTOR_EXEMPT = ("/account/2fa/", "/logout/", "/static/", "/health/", "/account/activate/")


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = int(request.session.get("_started_at") or now)
            last = int(request.session.get("_last_seen") or now)
            if is_staff_person(user):
                idle_limit, absolute_limit = settings.ZHURNAL_STAFF_IDLE_SECONDS, settings.ZHURNAL_STAFF_ABSOLUTE_SECONDS
                if now - last > idle_limit or now - started > absolute_limit:
                    logout(request)
                    if request.path.startswith("/api/"):
                        return error_response(request, 401, "session_expired", "Сеанс завершён, войдите снова.")
                    messages.info(request, "Сеанс завершён из-за бездействия или по истечении 12 часов. Войдите снова.")
                    return redirect(f"{reverse('accounts:login')}?next={request.path}")
                if now - last >= TOUCH_EVERY or "_started_at" not in request.session:
                    request.session["_last_seen"] = now
                    request.session.setdefault("_started_at", now)
                    request.session.set_expiry(idle_limit)
            elif now - last >= TOUCH_EVERY or "_started_at" not in request.session:
                request.session["_last_seen"] = now
                request.session.setdefault("_started_at", now)
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """Administrators, directors and deputies act only after a second factor (TOTP or a
    backup code). Until then every page sends them to the 2FA page; the API refuses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(TWO_FACTOR_EXEMPT)
            and access_for(user).needs_two_factor
            and not user.is_verified()
        ):
            if request.path.startswith("/api/"):
                return error_response(request, 403, "otp_required", "Для вашей роли нужен вход с кодом подтверждения (2FA).")
            return redirect(f"/account/2fa/?next={request.path}")
        return self.get_response(request)
