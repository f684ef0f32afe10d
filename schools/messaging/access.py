"""Fetch-and-authorise helpers for the messaging pages and API. The right is checked before the
object is looked up, so an outsider learns nothing, not even whether a conversation exists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from core.access import access_school
from core.errors import NotFound, PermissionDenied

from . import rules, selectors
from .models import AbuseReport, Announcement, Attachment, Conversation, Message
from .services import NOT_A_MEMBER

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School

NOT_YOURS = "Вы не участвуете в этой переписке."


def me(request: HttpRequest) -> int:
    user: Any = request.user
    return int(user.pk)


def access_messaging(request: HttpRequest) -> tuple[School, Access, set[str]]:
    """A person with a role in this school (staff, parent or student); the district administrator
    holds no role inside a school and reads nobody's messages."""
    school, access = access_school(request)
    roles = rules.roles_here(access, school)
    if not roles:
        raise PermissionDenied(NOT_A_MEMBER)
    return school, access, roles


def access_conversation(request: HttpRequest, conversation_id: int) -> tuple[School, Access, Conversation]:
    school, access, _ = access_messaging(request)
    if not selectors.is_participant(me(request), conversation_id):
        raise PermissionDenied(NOT_YOURS)
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound("Переписка не найдена.")
    return school, access, conversation


def access_message(request: HttpRequest, message_id: int) -> tuple[School, Access, Message]:
    school, access, _ = access_messaging(request)
    message = Message.objects.filter(pk=message_id).first()
    if message is None or not selectors.is_participant(me(request), message.conversation_id):
        raise PermissionDenied(NOT_YOURS)
    return school, access, message


def access_attachment(request: HttpRequest, attachment_id: int) -> tuple[School, Attachment]:
    """Participants of the conversation; the administration too once the message is reported."""
    school, _, roles = access_messaging(request)
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    allowed = attachment is not None and (
        selectors.is_participant(me(request), attachment.message.conversation_id)
        or (rules.is_admin(roles) and selectors.attachment_reported(attachment)))
    if not allowed or attachment is None:
        raise PermissionDenied("Этот файл вам недоступен.")
    return school, attachment


def access_announcement(request: HttpRequest, announcement_id: int) -> tuple[School, Access, Announcement]:
    school, access, _ = access_messaging(request)
    announcement = selectors.announcements_for(request.user, access, school).filter(pk=announcement_id).first()  # type: ignore[arg-type]
    if announcement is None:
        raise PermissionDenied("Это объявление адресовано не вам.")
    return school, access, announcement


def access_reports(request: HttpRequest) -> tuple[School, Access]:
    school, access, roles = access_messaging(request)
    if not rules.is_admin(roles):
        raise PermissionDenied("Жалобы и настройки сообщений — у администрации школы.")
    return school, access


def access_report(request: HttpRequest, report_id: int) -> tuple[School, Access, AbuseReport]:
    school, access = access_reports(request)
    report = AbuseReport.objects.filter(pk=report_id).first()
    if report is None:
        raise NotFound("Жалоба не найдена.")
    return school, access, report
