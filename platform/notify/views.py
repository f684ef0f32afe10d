"""Pages: notification settings (channels, time, e-mail), the notices list, the e-mail
confirmation link. Families and staff (any current role): each sees the settings of their own
roles (services.fields_for). Phone-first; thin over services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, NotFound, PermissionDenied
from core.views import form_error, page

from . import push, selectors, services
from .forms import EmailForm, SettingsForm


def _recipient(request: HttpRequest) -> Any:
    person: Any = request.user
    services.ensure_recipient(person)
    return person


@page
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    person = _recipient(request)
    current = services.settings_for(person)
    applies = services.fields_for(person)
    form = SettingsForm(instance=current, fields=applies)
    email_form = EmailForm()
    if request.method == "POST":
        action = request.POST.get("action", "settings")
        if action == "settings":
            form = SettingsForm(request.POST, instance=services.settings_for(person), fields=applies)
            if form.is_valid():
                try:
                    services.update_settings(person, {f: form.cleaned_data[f] for f in form.fields})
                    messages.success(request, "Настройки оповещений сохранены.")
                    return redirect("notify:settings")
                except DomainError as exc:
                    form_error(form, exc)
        elif action in ("email", "resend"):
            contact = selectors.contact_of(person)
            data = request.POST if action == "email" else {"email": contact.address if contact else ""}
            email_form = EmailForm(data)
            if email_form.is_valid():
                try:
                    services.set_email(person, email_form.cleaned_data["email"])
                    messages.success(request, "Письмо со ссылкой для подтверждения отправлено. Откройте его и перейдите по ссылке.")
                    return redirect("notify:settings")
                except DomainError as exc:
                    form_error(email_form, exc)
        elif action == "remove_email":
            services.remove_email(person)
            messages.info(request, "Адрес удалён: письма больше не придут.")
            return redirect("notify:settings")
    return render(request, "notify/settings.html", {
        "form": form, "email_form": email_form, "contact": selectors.contact_of(person),
        "unread": selectors.unread_count(person), "push_on": push.configured(), "push_applies": "by_push" in applies,
    })


@page
def notices_page(request: HttpRequest) -> HttpResponse:
    person = _recipient(request)
    unread_only = request.GET.get("unread") == "1"
    paginator = Paginator(selectors.notices_of(person, unread_only=unread_only), 30)
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(request, "notify/notices.html", {"page_obj": page_obj, "unread": selectors.unread_count(person),
                                                    "unread_only": unread_only})


@page
@require_POST
def notice_read(request: HttpRequest, notice_id: int) -> HttpResponse:
    person = _recipient(request)
    services.mark_read(person, notice_id)
    return redirect("notify:notices")


@page
@require_POST
def notices_read_all(request: HttpRequest) -> HttpResponse:
    person = _recipient(request)
    n = services.mark_all_read(person)
    messages.info(request, f"Отмечено прочитанными: {n}.")
    return redirect("notify:notices")


@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that open links must not confirm); POST confirms."""
    context: dict[str, Any] = {"token": token}
    if request.method == "POST":
        try:
            contact = services.confirm_email(token, request.user if request.user.is_authenticated else None)  # type: ignore[arg-type]
            context["confirmed"] = contact.address
        except PermissionDenied as exc:
            from core.access import record_denied

            record_denied(request, exc)
            return render(request, "error.html", {"status": 403, "message": exc.message}, status=403)
        except (NotFound, DomainError) as exc:
            context["error"] = exc.message
            return render(request, "notify/confirm.html", context, status=exc.status)
    return render(request, "notify/confirm.html", context)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The push service worker (static/js/notify-sw.js) from the site root: a worker's scope is
    at most its own folder, and it must cover every page to receive pushes for the whole site.
    Public (the browser re-fetches it to update, signed in or not); no-cache so an update is
    seen at once."""
    source = _service_worker_source()
    if source is None:
        raise Http404
    return HttpResponse(source, content_type="text/javascript; charset=utf-8",
                        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"})


def _service_worker_source() -> bytes | None:
    path = finders.find("js/notify-sw.js")
    if not path:
        return None
    with open(path if isinstance(path, str) else path[0], "rb") as f:
        return f.read()
