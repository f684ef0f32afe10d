"""Writes of the messaging app. Each checks the actor's right (rules.py), writes and audits in
one transaction, and tells other apps through signals once committed. The audit log keeps ids
and metadata only, never the text of a message or an announcement (personal data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from . import rules, selectors, signals
from .files import CheckedFile, check_files
from .models import (
    AbuseReport,
    Announcement,
    AnnouncementRead,
    Attachment,
    Audience,
    Conversation,
    Message,
    MessagingSettings,
    Participant,
)

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

MAX_BODY = 5000
MAX_RECIPIENTS = 30
NOT_A_MEMBER = "Сообщения доступны сотрудникам, родителям и обучающимся этой школы."


def _roles(actor: Person, school: School) -> set[str]:
    roles = rules.roles_here(access_for(actor), school)
    if not roles:
        raise PermissionDenied(NOT_A_MEMBER)
    return roles


def _body(text: str, *, field: str = "body", what: str = "сообщения") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(f"Напишите текст {what}.", fields={field: ["Обязательное поле."]})
    if len(text) > MAX_BODY:
        msg = f"Текст {what} длиннее {MAX_BODY} знаков."
        raise ValidationFailed(msg, fields={field: [msg]})
    return text


def _send_after_commit(school: School, signal: Signal, sender: type, **kwargs: Any) -> None:
    """Sends `signal` once the write has committed, inside the school's schema whatever the
    connection selects by then (an outer transaction may end after a switch back to public)."""
    def send() -> None:
        with tenant_context(school):
            signal.send(sender=sender, school=school, **kwargs)

    transaction.on_commit(send)


def _save_files(message: Message, files: Sequence[CheckedFile]) -> list[Attachment]:
    saved = []
    for f in files:
        attachment = Attachment(message=message, name=f.name, content_type=f.content_type, size=f.size)
        attachment.file.save(f.name, f.upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


def _add_message(actor: Person, school: School, conversation: Conversation, body: str, files: Sequence[CheckedFile]) -> Message:
    now = timezone.now()
    message = Message.objects.create(conversation=conversation, author=actor, body=body, created_at=now)
    attachments = _save_files(message, files)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    # Writing is reading: the author has seen everything up to their own message.
    Participant.objects.filter(conversation=conversation, person=actor).update(last_read_at=now)
    recipients = sorted(set(Participant.objects.filter(conversation=conversation).exclude(person=actor)
                            .values_list("person_id", flat=True)))
    record(actor=actor, action="messaging.message_sent", school=school, object_type="messaging.message", object_id=str(message.pk),
           object_repr=f"Сообщение в переписке {conversation.pk}",
           after={"conversation": conversation.pk, "recipients": recipients, "length": len(body),
                  "attachments": [{"id": a.pk, "type": a.content_type, "size": a.size} for a in attachments]})
    _send_after_commit(school, signals.message_sent, Message, conversation_id=conversation.pk, message_id=message.pk,
                       author_id=actor.pk, recipient_ids=recipients)
    return message


def start_conversation(actor: Person, school: School, *, recipient_ids: Sequence[int], subject: str, body: str,
                       files: Sequence[Any] = ()) -> Conversation:
    """A new conversation with one or more people of the actor's circle (R-D06)."""
    ensure_writable(school)
    _roles(actor, school)
    wanted = sorted({int(pid) for pid in recipient_ids} - {actor.pk})
    if not wanted:
        raise ValidationFailed("Выберите, кому написать.", fields={"recipients": ["Обязательное поле."]})
    if len(wanted) > MAX_RECIPIENTS:
        msg = f"Не больше {MAX_RECIPIENTS} получателей; для класса или школы есть объявления."
        raise ValidationFailed(msg, fields={"recipients": [msg]})
    circle = rules.circle_of(actor, access_for(actor), school)
    outside = rules.refused(circle, school, wanted)
    if outside:
        raise PermissionDenied("Писать этому человеку вы не можете. Родители пишут учителям своих детей, классному "
                               "руководителю и администрации школы; обучающиеся — своим учителям и администрации.",
                               code="recipient_not_allowed")
    subject = (subject or "").strip()[:200]
    text = _body(body)
    checked = check_files(list(files))
    with transaction.atomic():
        now = timezone.now()
        conversation = Conversation.objects.create(subject=subject, created_by=actor, created_at=now, last_message_at=now)
        Participant.objects.bulk_create([Participant(conversation=conversation, person_id=pid, joined_at=now) for pid in [actor.pk, *wanted]])
        record(actor=actor, action="messaging.conversation_started", school=school, obj=conversation,
               object_repr=f"Переписка {conversation.pk}", after={"participants": [actor.pk, *wanted], "has_subject": bool(subject)})
        _add_message(actor, school, conversation, text, checked)
    return conversation


def send_message(actor: Person, school: School, conversation: Conversation, *, body: str, files: Sequence[Any] = ()) -> Message:
    """An answer in a conversation: every participant may write in it."""
    ensure_writable(school)
    _roles(actor, school)
    if not selectors.is_participant(actor.pk, conversation.pk):
        raise PermissionDenied("Вы не участвуете в этой переписке.")
    text = _body(body)
    checked = check_files(list(files))
    with transaction.atomic():
        return _add_message(actor, school, conversation, text, checked)


def mark_read(actor: Person, school: School, conversation: Conversation) -> bool:
    """Moves the actor's read mark to the newest message. True when something was unread."""
    _roles(actor, school)
    participant = Participant.objects.filter(conversation=conversation, person=actor).first()
    if participant is None:
        raise PermissionDenied("Вы не участвуете в этой переписке.")
    newest = Message.objects.filter(conversation=conversation).exclude(author=actor).order_by("-created_at").values_list("created_at", flat=True).first()
    if newest is None or (participant.last_read_at is not None and participant.last_read_at >= newest) or not school.is_writable:
        return False
    with transaction.atomic():
        before = participant.last_read_at
        participant.last_read_at = newest
        participant.save(update_fields=["last_read_at"])
        record(actor=actor, action="messaging.read", school=school, object_type="messaging.conversation", object_id=str(conversation.pk),
               object_repr=f"Переписка {conversation.pk}", before={"last_read_at": before}, after={"last_read_at": newest})
    return True


# --- announcements ---------------------------------------------------------------------------------

def may_announce_to_school(actor: Person, school: School) -> bool:
    return rules.is_admin(rules.roles_here(access_for(actor), school))


def announce_class_ids(actor: Person, school: School) -> set[int] | None:
    """Classes the actor may address: None for all (administration), else the classes they lead."""
    from roster.models import SchoolClass

    access = access_for(actor)
    if rules.is_admin(rules.roles_here(access, school)):
        return None
    entry = access.schools.get(school.pk)
    own = set(entry.class_teacher_of) if entry else set()
    if entry and rules.is_staff(entry.roles):
        own |= set(SchoolClass.objects.filter(class_teacher_id=actor.pk).values_list("pk", flat=True))
    return own


def publish_announcement(actor: Person, school: School, *, audience: str, class_id: int | None, title: str, body: str) -> Announcement:
    """R-D06: the administration to the whole school or a class; a class teacher to their class."""
    from roster.models import SchoolClass

    ensure_writable(school)
    _roles(actor, school)
    if audience == Audience.SCHOOL:
        if not may_announce_to_school(actor, school):
            raise PermissionDenied("Объявления для всей школы публикует администрация.")
        school_class = None
    elif audience == Audience.CLASS:
        allowed = announce_class_ids(actor, school)
        if allowed is not None and (class_id is None or class_id not in allowed):
            raise PermissionDenied("Объявление классу публикует его классный руководитель или администрация.")
        school_class = SchoolClass.objects.filter(pk=class_id).first() if class_id else None
        if school_class is None:
            raise ValidationFailed("Выберите класс.", fields={"class_id": ["Класс не найден."]})
    else:
        raise ValidationFailed("Выберите, кому объявление.", fields={"audience": ["Недопустимое значение."]})
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Напишите заголовок объявления.", fields={"title": ["Обязательное поле."]})
    text = _body(body, what="объявления")
    with transaction.atomic():
        announcement = Announcement.objects.create(author=actor, audience=audience, school_class=school_class, title=title[:200], body=text)
        recipients = sorted(selectors.announcement_recipient_ids(announcement, school))
        record(actor=actor, action="messaging.announcement_published", school=school, obj=announcement,
               object_repr=f"Объявление {announcement.pk}",
               after={"audience": audience, "class": class_id if school_class else None, "recipients": len(recipients),
                      "length": len(text)})
        _send_after_commit(school, signals.announcement_published, Announcement, announcement_id=announcement.pk,
                           author_id=actor.pk, recipient_ids=recipients)
    return announcement


def mark_announcement_read(actor: Person, school: School, announcement: Announcement) -> bool:
    _roles(actor, school)
    if not school.is_writable or AnnouncementRead.objects.filter(announcement=announcement, person=actor).exists():
        return False
    try:
        with transaction.atomic():
            AnnouncementRead.objects.create(announcement=announcement, person=actor)
            record(actor=actor, action="messaging.announcement_read", school=school, obj=announcement,
                   object_repr=f"Объявление {announcement.pk}")
    except IntegrityError:  # read twice at the same moment
        return False
    return True


def mark_announcements_read(actor: Person, school: School, announcements: Sequence[Announcement]) -> int:
    """The list page marks what it shows as read: one insert and one audit record."""
    _roles(actor, school)
    if not announcements or not school.is_writable:
        return 0
    done = set(AnnouncementRead.objects.filter(announcement__in=list(announcements), person=actor)
               .values_list("announcement_id", flat=True))
    fresh = [a for a in announcements if a.pk not in done]
    if not fresh:
        return 0
    with transaction.atomic():
        AnnouncementRead.objects.bulk_create([AnnouncementRead(announcement=a, person=actor) for a in fresh], ignore_conflicts=True)
        record(actor=actor, action="messaging.announcement_read", school=school, object_type="messaging.announcement",
               object_id=",".join(str(a.pk) for a in fresh)[:60], object_repr=f"Объявления: {len(fresh)}",
               after={"announcements": [a.pk for a in fresh]})
    return len(fresh)


# --- abuse reports ------------------------------------------------------------------------------------

def report_abuse(actor: Person, school: School, message: Message, *, reason: str = "") -> AbuseReport:
    """A participant sends a message to the school administration as abusive; the reporter is kept."""
    ensure_writable(school)
    _roles(actor, school)
    if not selectors.is_participant(actor.pk, message.conversation_id):
        raise PermissionDenied("Вы не участвуете в этой переписке.")
    if message.author_id == actor.pk:
        raise ValidationFailed("На своё сообщение пожаловаться нельзя.", code="own_message")
    reason = (reason or "").strip()[:500]
    try:
        with transaction.atomic():
            report = AbuseReport.objects.create(message=message, reporter=actor, reason=reason)
            record(actor=actor, action="messaging.abuse_reported", school=school, obj=report, object_repr=f"Жалоба {report.pk}",
                   after={"message": message.pk, "conversation": message.conversation_id, "author": message.author_id,
                          "reporter": actor.pk, "has_reason": bool(reason)})
    except IntegrityError:
        raise Conflict("Вы уже сообщили администрации об этом сообщении.", code="already_reported") from None
    admins = sorted(selectors.admin_ids(school))
    _send_after_commit(school, signals.abuse_reported, AbuseReport, report_id=report.pk, message_id=message.pk,
                       reporter_id=actor.pk, admin_ids=admins)
    return report


def require_admin(actor: Person, school: School) -> None:
    if not rules.is_admin(rules.roles_here(access_for(actor), school)):
        raise PermissionDenied("Жалобы и настройки сообщений — у администрации школы.")


def resolve_report(actor: Person, school: School, report: AbuseReport, *, resolution: str) -> AbuseReport:
    ensure_writable(school)
    require_admin(actor, school)
    if report.resolved_at is not None:
        raise Conflict("Жалоба уже рассмотрена.", code="already_resolved")
    resolution = (resolution or "").strip()[:500]
    if not resolution:
        raise ValidationFailed("Напишите, что сделано.", fields={"resolution": ["Обязательное поле."]})
    with transaction.atomic():
        report.resolved_at, report.resolved_by, report.resolution = timezone.now(), actor, resolution
        report.save(update_fields=["resolved_at", "resolved_by", "resolution"])
        record(actor=actor, action="messaging.abuse_resolved", school=school, obj=report, object_repr=f"Жалоба {report.pk}",
               after={"resolved": True})
    return report


def set_settings(actor: Person, school: School, *, parents_may_write_parents: bool) -> MessagingSettings:
    ensure_writable(school)
    require_admin(actor, school)
    settings_row = MessagingSettings.current()
    if settings_row.parents_may_write_parents == parents_may_write_parents:
        return settings_row
    with transaction.atomic():
        before = settings_row.parents_may_write_parents
        settings_row.parents_may_write_parents = parents_may_write_parents
        settings_row.save()
        record(actor=actor, action="messaging.settings_changed", school=school, obj=settings_row,
               before={"parents_may_write_parents": before}, after={"parents_may_write_parents": parents_may_write_parents})
    return settings_row


def get_message(message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound("Сообщение не найдено.")
    return message
