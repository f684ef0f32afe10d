"""Pages of messages and announcements under /s/<slug>/messages/ (R-D06). Phone-first: families
read them in the evening on a phone. Thin: authorise (messaging.access), call services/selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import access_for
from core.errors import DomainError, PermissionDenied
from core.views import page

from . import rules, selectors, services
from .access import (
    access_announcement,
    access_attachment,
    access_conversation,
    access_message,
    access_messaging,
    access_report,
    access_reports,
    me,
)
from .files import ALLOWED_TEXT, MAX_FILE_BYTES, MAX_FILES, MAX_MESSAGE_BYTES
from .models import Audience, MessagingSettings

INBOX_PAGE = 50


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _flash_result(request: HttpRequest, action: Callable[[], Any], success: str) -> None:
    """Runs a service call for a POST that returns to a page: a refusal goes to the error page
    (and the audit log), a rule's message to the flash, success to the flash."""
    try:
        action()
    except PermissionDenied:
        raise
    except DomainError as exc:
        flash.error(request, exc.message)
    else:
        flash.success(request, success)


def _tabs(request: HttpRequest, school: Any, access: Any, roles: set[str], active: str) -> dict[str, Any]:
    person: Any = request.user
    is_admin = rules.is_admin(roles)
    return {
        "school": school, "active": active, "is_admin": is_admin,
        "open_reports": selectors.open_report_count() if is_admin else 0,
        "unread_announcements": selectors.unread_announcements(person, access, school),
        "files_hint": f"{ALLOWED_TEXT}; до {MAX_FILES} файлов, каждый до {MAX_FILE_BYTES // (1024 * 1024)} МБ, "
                      f"вместе до {MAX_MESSAGE_BYTES // (1024 * 1024)} МБ",
    }


@page
def inbox(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access, roles = access_messaging(request)
    offset = max(_int(request.GET.get("from")) or 0, 0)
    rows = selectors.inbox(me(request), limit=INBOX_PAGE + 1, offset=offset)
    return render(request, "messaging/inbox.html", {
        **_tabs(request, school, access, roles, "inbox"),
        "rows": rows[:INBOX_PAGE], "next_offset": offset + INBOX_PAGE if len(rows) > INBOX_PAGE else None,
        "prev_offset": max(offset - INBOX_PAGE, 0) if offset else None,
    })


@page
@require_http_methods(["GET", "POST"])
def new_conversation(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access, roles = access_messaging(request)
    person: Any = request.user
    circle = rules.circle_of(person, access, school)
    q = request.GET.get("q", "").strip()[:60]
    class_id = _int(request.GET.get("class"))
    chosen = {i for i in (_int(v) for v in request.POST.getlist("recipients") or request.GET.getlist("to")) if i}
    error, data = "", {"subject": "", "body": ""}
    if request.method == "POST":
        data = {"subject": request.POST.get("subject", ""), "body": request.POST.get("body", "")}
        try:
            started = services.start_conversations(person, school, recipient_ids=sorted(chosen), subject=data["subject"],
                                                   body=data["body"], files=request.FILES.getlist("attachments"))
        except PermissionDenied:
            raise
        except DomainError as exc:
            error = exc.message
        else:
            if len(started) > 1:
                flash.success(request, f"Сообщение отправлено каждой семье отдельно: переписок {len(started)}. "
                                       "Семьи не видят друг друга и отвечают вам каждая в своей переписке.")
                return redirect("school:messaging-inbox", school_slug=school.slug)
            flash.success(request, "Сообщение отправлено.")
            return redirect("school:messaging-conversation", school_slug=school.slug, conversation_id=started[0].pk)
    found = selectors.candidates(circle, school, q=q, class_id=class_id)
    found_ids = {c.person.pk for c in found}
    extra = [selectors.Candidate(person=p, reasons=[]) for p in selectors.people(chosen - found_ids).values()]
    classes: list[Any] = []
    if circle.everyone:
        from roster.selectors import classes_of_year
        from schoolyear.selectors import current_year

        year = current_year()
        classes = classes_of_year(year.pk if year else None)
    return render(request, "messaging/new.html", {
        **_tabs(request, school, access, roles, "new"),
        "candidates": extra + found, "chosen": chosen, "q": q, "class_id": class_id, "classes": classes,
        "everyone": circle.everyone, "error": error, "data": data,
        "families_together": circle.everyone and MessagingSettings.current().parents_may_write_parents,
    })


@page
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, school_slug: str, conversation_id: int) -> HttpResponse:
    school, access, conv = access_conversation(request, conversation_id)
    roles = rules.roles_here(access, school)
    person: Any = request.user
    error, draft = "", ""
    if request.method == "POST":
        draft = request.POST.get("body", "")
        try:
            services.send_message(person, school, conv, body=draft, files=request.FILES.getlist("attachments"))
        except PermissionDenied:
            raise
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("school:messaging-conversation", school_slug=school.slug, conversation_id=conv.pk)
    services.mark_read(person, school, conv)
    view = selectors.conversation_view(conv, person.pk)
    return render(request, "messaging/conversation.html", {
        **_tabs(request, school, access, roles, "inbox"),
        "view": view, "conv": conv, "error": error, "draft": draft,
        "others": [view.persons[p.person_id] for p in view.participants if p.person_id != person.pk and p.person_id in view.persons],
    })


@page
@require_POST
def report(request: HttpRequest, school_slug: str, message_id: int) -> HttpResponse:
    school, _, message = access_message(request, message_id)
    person: Any = request.user
    _flash_result(request, lambda: services.report_abuse(person, school, message, reason=request.POST.get("reason", "")),
                  "Жалоба отправлена администрации школы. Спасибо.")
    return redirect("school:messaging-conversation", school_slug=school.slug, conversation_id=message.conversation_id)


@page
def attachment(request: HttpRequest, school_slug: str, attachment_id: int) -> Any:
    _, att = access_attachment(request, attachment_id)
    inline = att.content_type.startswith("image/")
    response = FileResponse(att.file.open("rb"), as_attachment=not inline, filename=att.name, content_type=att.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# --- announcements ---------------------------------------------------------------------------------

@page
def announcements(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access, roles = access_messaging(request)
    person: Any = request.user
    rows = selectors.announcement_rows(selectors.announcements_for(person, access, school), person.pk)
    context = {**_tabs(request, school, access, roles, "announcements"), "rows": rows,
               "may_publish": services.may_announce_to_school(person, school) or bool(services.announce_class_ids(person, school))}
    services.mark_announcements_read(person, school, [r.announcement for r in rows if not r.read and r.announcement.author_id != person.pk])
    return render(request, "messaging/announcements.html", context)


@page
def announcement(request: HttpRequest, school_slug: str, announcement_id: int) -> HttpResponse:
    school, access, item = access_announcement(request, announcement_id)
    person: Any = request.user
    roles = rules.roles_here(access, school)
    services.mark_announcement_read(person, school, item)
    context: dict[str, Any] = {**_tabs(request, school, access, roles, "announcements"), "item": item,
                               "author": selectors.people([item.author_id]).get(item.author_id)}
    if item.author_id == person.pk or rules.is_admin(roles):
        recipients = selectors.announcement_recipient_ids(item, school)
        context["recipients"] = len(recipients)
        context["read"] = item.reads.filter(person_id__in=sorted(recipients)).count()
    return render(request, "messaging/announcement.html", context)


@page
@require_http_methods(["GET", "POST"])
def announcement_new(request: HttpRequest, school_slug: str) -> HttpResponse:
    from roster.selectors import classes_of_year
    from schoolyear.selectors import current_year

    school, access, roles = access_messaging(request)
    person: Any = request.user
    whole = services.may_announce_to_school(person, school)
    allowed = services.announce_class_ids(person, school)
    if not whole and not allowed:
        raise PermissionDenied("Объявления публикуют администрация и классные руководители.")
    year = current_year()
    classes = [c for c in classes_of_year(year.pk if year else None) if allowed is None or c.pk in allowed]
    data: dict[str, Any]
    error, data = "", {"audience": Audience.CLASS if not whole else Audience.SCHOOL, "class_id": None, "title": "", "body": ""}
    if request.method == "POST":
        data = {"audience": request.POST.get("audience", ""), "class_id": _int(request.POST.get("class_id")),
                "title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
        try:
            item = services.publish_announcement(person, school, audience=str(data["audience"]), class_id=data["class_id"],  # type: ignore[arg-type]
                                                  title=str(data["title"]), body=str(data["body"]))
        except PermissionDenied:
            raise
        except DomainError as exc:
            error = exc.message
        else:
            flash.success(request, "Объявление опубликовано.")
            return redirect("school:messaging-announcement", school_slug=school.slug, announcement_id=item.pk)
    return render(request, "messaging/announcement_new.html", {
        **_tabs(request, school, access, roles, "announcements"), "whole": whole, "classes": classes, "error": error, "data": data,
    })


# --- the administration: abuse reports and the school's setting -------------------------------------

@page
@require_http_methods(["GET", "POST"])
def reports(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_reports(request)
    person: Any = request.user
    if request.method == "POST":
        allow = request.POST.get("parents_may_write_parents") == "on"
        _flash_result(request, lambda: services.set_settings(person, school, parents_may_write_parents=allow), "Настройки сохранены.")
        return redirect("school:messaging-reports", school_slug=school.slug)
    roles = rules.roles_here(access, school)
    return render(request, "messaging/reports.html", {
        **_tabs(request, school, access, roles, "reports"), "rows": selectors.report_rows(),
        "settings_row": MessagingSettings.current(),
    })


@page
@require_POST
def resolve(request: HttpRequest, school_slug: str, report_id: int) -> HttpResponse:
    school, _, item = access_report(request, report_id)
    person: Any = request.user
    _flash_result(request, lambda: services.resolve_report(person, school, item, resolution=request.POST.get("resolution", "")),
                  "Жалоба закрыта.")
    return redirect("school:messaging-reports", school_slug=school.slug)


def home_tile(request: HttpRequest, school: Any) -> dict[str, Any]:
    """For the school's home page: whether to show the messages tile, and the unread count."""
    access = access_for(request.user)
    if not rules.roles_here(access, school):
        return {"show": False, "unread": 0}
    return {"show": True, "unread": selectors.unread_count(me(request))}
