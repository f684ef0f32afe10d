"""Signing in (with 2FA), activation, the school switcher, one's own sessions."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import DomainError
from core.responses import error_response
from core.views import form_error, page

from . import services
from .forms import ActivationForm, LoginForm, OtpForm, PasswordChangeForm
from .models import PersonSession
from .roles import FAMILY_ROLES
from .selectors import access_for


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def lockout_response(request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> HttpResponse:
    minutes = int(float(settings.AXES_COOLOFF_TIME) * 60)
    message = f"Слишком много неудачных попыток входа. Вход временно заблокирован на {minutes} минут."
    if request.path.startswith("/api/"):
        return error_response(request, 429, "locked_out", message)
    return render(request, "accounts/login.html", {"form": LoginForm(), "locked": message}, status=429)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect("accounts:home")
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = authenticate(request, username=form.cleaned_data["login"], password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request)
        if person is None:
            form.add_error(None, "Неверный логин или пароль.")
        else:
            login(request, person)
            request.session["_started_at"] = int(time.time())
            request.session["_last_seen"] = int(time.time())
            target = _safe_next(request, reverse("accounts:home"))
            if access_for(person).needs_two_factor:
                return redirect(f"{reverse('accounts:two_factor')}?next={target}")
            return redirect(target)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "Вы вышли из системы.")
    return redirect("accounts:login")


@page
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Verify with a TOTP or backup code; without a confirmed device, set one up first."""
    person: Any = request.user
    if not TOTPDevice.objects.filter(user=person, confirmed=True).exists():
        return redirect(f"{reverse('accounts:two_factor_setup')}?next={_safe_next(request, reverse('accounts:home'))}")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(person, form.cleaned_data["token"].strip().replace(" ", ""))
        if device is None:
            from audit.services import record

            record(actor=person, action="2fa.failed", obj=person, object_repr=person.login)
            form.add_error("token", "Код не подошёл.")
        else:
            otp_login(request, device)
            return redirect(_safe_next(request, reverse("accounts:home")))
    return render(request, "accounts/two_factor.html", {"form": form, "next": request.GET.get("next", "")})


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@page
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    person: Any = request.user
    device_id = request.session.get("totp_setup_device")
    device = TOTPDevice.objects.filter(pk=device_id, user=person, confirmed=False).first() if device_id else None
    if request.method == "GET" or device is None:
        if device is None or request.GET.get("restart"):
            device = services.start_totp_setup(person)
            request.session["totp_setup_device"] = device.pk
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_totp_setup(person, device.pk, form.cleaned_data["token"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            request.session.pop("totp_setup_device", None)
            device.refresh_from_db()
            otp_login(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": _safe_next(request, reverse("accounts:home"))})
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "secret": secret, "qr_svg": _qr_svg(device.config_url), "next": request.GET.get("next", ""),
    })


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activate_account(data["login"], data["code"], data["password"])
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Пароль установлен. Войдите с новым паролем.")
            return redirect("accounts:login")
    return render(request, "accounts/activate.html", {"form": form})


@page
def home(request: HttpRequest) -> HttpResponse:
    """The school switcher: every school where the person holds a role, and the district."""
    access = access_for(request.user)
    entries = [e for e in access.school_list if e.school.status != "archived" or access.is_district_admin]
    if len(entries) == 1 and access.all_roles and access.all_roles <= FAMILY_ROLES and not request.GET.get("all"):
        return redirect("diary:home")  # a parent or student of one school lands on the diary (R-D02)
    if len(entries) == 1 and not access.district_roles and not request.GET.get("all"):
        return redirect("school:home", school_slug=entries[0].school.slug)
    return render(request, "accounts/home.html", {"entries": entries, "access": access})


@page
@require_http_methods(["GET", "POST"])
def sessions(request: HttpRequest) -> HttpResponse:
    person: Any = request.user
    current = request.session.session_key
    if request.method == "POST":
        try:
            if request.POST.get("end") == "others":
                n = services.end_other_sessions(person, current)
                messages.success(request, f"Завершено сеансов: {n}.")
            else:
                services.end_session(person, request.POST.get("end", ""))
                messages.success(request, "Сеанс завершён.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("accounts:sessions")
    rows = PersonSession.objects.filter(person=person).order_by("-last_activity")
    return render(request, "accounts/sessions.html", {"rows": rows, "current": current})


@page
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, form.cleaned_data["old_password"], form.cleaned_data["password"])  # type: ignore[arg-type]
        except DomainError as exc:
            form_error(form, exc)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, "Пароль изменён.")
            return redirect("accounts:home")
    return render(request, "accounts/password_change.html", {"form": form})
