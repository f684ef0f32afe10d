"""Writes of the messaging app. Each checks the actor's right (rules.py), writes and audits in
one transaction, and tells other apps through signals once committed. The audit log keeps ids
and metadata only, never the text of a message or an announcement (personal data)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
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


def _add_message(actor: Person, school: School, conversation: Conversation, body: str, files: Sequence[CheckedFile], *,
                 stored: Sequence[Attachment] = (), audit: bool = True,
                 not_notified: Collection[int] = ()) -> tuple[Message, list[int], list[Attachment]]:
    """The message, its files (`stored`: the same files already saved for a sibling message of one
    send, reused by name rather than stored again), the conversation's time and the author's read
    mark; audited unless the caller audits the whole send. Returns the message, its recipients and
    its attachments. `not_notified`: recipients already told of this send by a sibling message
    (the staff addressed in a send split per family get one notice, not one per family)."""
    now = timezone.now()
    message = Message.objects.create(conversation=conversation, author=actor, body=body, created_at=now)
    if stored:
        attachments = Attachment.objects.bulk_create([Attachment(message=message, file=a.file.name, name=a.name, content_type=a.content_type,
                                                                 size=a.size) for a in stored])
    else:
        attachments = _save_files(message, files)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    # Writing is reading: the author has seen everything up to their own message.
    Participant.objects.filter(conversation=conversation, person=actor).update(last_read_at=now)
    recipients = sorted(set(Participant.objects.filter(conversation=conversation).exclude(person=actor)
                            .values_list("person_id", flat=True)))
    if audit:
        record(actor=actor, action="messaging.message_sent", school=school, object_type="messaging.message", object_id=str(message.pk),
               object_repr=f"Сообщение в переписке {conversation.pk}",
               after={"conversation": conversation.pk, "recipients": recipients, "length": len(body),
                      "attachments": _files_meta(attachments)})
    notified = [pid for pid in recipients if pid not in not_notified]
    if notified:
        _send_after_commit(school, signals.message_sent, Message, conversation_id=conversation.pk, message_id=message.pk,
                           author_id=actor.pk, recipient_ids=notified)
    return message, recipients, attachments


def _files_meta(attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    return [{"id": a.pk, "type": a.content_type, "size": a.size} for a in attachments]


def _new_conversation(actor: Person, subject: str, people: Sequence[int]) -> Conversation:
    now = timezone.now()
    conversation = Conversation.objects.create(subject=subject, created_by=actor, created_at=now, last_message_at=now)
    Participant.objects.bulk_create([Participant(conversation=conversation, person_id=pid, joined_at=now) for pid in [actor.pk, *people]])
    return conversation


def start_conversations(actor: Person, school: School, *, recipient_ids: Sequence[int], subject: str, body: str,
                        files: Sequence[Any] = ()) -> list[Conversation]:
    """A new conversation with one or more people of the actor's circle (R-D06) — or one per family.

    Families are kept apart (R-D06; 002 §4.4–4.5: parents and students correspond with the class
    teacher, the teachers and the administration, not with each other unless the school allows
    parents to write to parents). When the people addressed belong to several families and they
    may not share a conversation (rules.families_may_share: the school's setting is off, or a
    student is among them), the message becomes one conversation per family: the author, the
    staff addressed and that family's people, with the same subject, text and files (the files
    stored once). No family sees another's names, and each answers the author on its own.

    It is one send: a single audit record `messaging.conversation_started` lists every conversation
    with its participants, its message and the files. An announcement was the other choice and is
    not taken: it cannot be answered, while the seeds ask for correspondence (002 §4.4 «ведут
    переписку»), and it goes to a whole class or school, not to the families chosen."""
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
    families = rules.families_of(school, wanted) if len(wanted) > 1 else None
    if families is None or rules.families_may_share(families, MessagingSettings.current().parents_may_write_parents):
        with transaction.atomic():
            conversation = _new_conversation(actor, subject, wanted)
            record(actor=actor, action="messaging.conversation_started", school=school, obj=conversation,
                   object_repr=f"Переписка {conversation.pk}", after={"participants": [actor.pk, *wanted], "has_subject": bool(subject)})
            _add_message(actor, school, conversation, text, checked)
        return [conversation]
    with transaction.atomic():
        conversations: list[Conversation] = []
        sent: list[dict[str, Any]] = []
        stored: list[Attachment] = []
        staff = set(families.staff)
        for group in families.groups:
            people = sorted({*families.staff, *group})
            conversation = _new_conversation(actor, subject, people)
            # The staff addressed are told once per send (R-D06): by the first family's message.
            message, recipients, attachments = _add_message(actor, school, conversation, text, checked, stored=stored, audit=False,
                                                            not_notified=staff if conversations else ())
            stored = stored or attachments
            conversations.append(conversation)
            sent.append({"conversation": conversation.pk, "participants": [actor.pk, *people], "message": message.pk,
                         "recipients": recipients})
        record(actor=actor, action="messaging.conversation_started", school=school, obj=conversations[0],
               object_repr=f"Отдельные переписки с семьями: {len(conversations)}",
               after={"split_by_family": True, "conversations": sent, "has_subject": bool(subject), "length": len(text),
                      "attachments": _files_meta(stored)})
    return conversations


def start_conversation(actor: Person, school: School, *, recipient_ids: Sequence[int], subject: str, body: str,
                       files: Sequence[Any] = ()) -> Conversation:
    """`start_conversations` for a caller that shows one conversation: the first of them."""
    return start_conversations(actor, school, recipient_ids=recipient_ids, subject=subject, body=body, files=files)[0]


def send_message(actor: Person, school: School, conversation: Conversation, *, body: str, files: Sequence[Any] = ()) -> Message:
    """An answer in a conversation: every participant may write in it — except a parent or a
    student in a conversation that also holds another family where families may not share one
    (one started before the split, or while the school allowed parents to write to parents)."""
    ensure_writable(school)
    roles = _roles(actor, school)
    if not selectors.is_participant(actor.pk, conversation.pk):
        raise PermissionDenied("Вы не участвуете в этой переписке.")
    if not rules.is_staff(roles):
        others = Participant.objects.filter(conversation=conversation).exclude(person=actor).values_list("person_id", flat=True)
        families = rules.families_of(school, [actor.pk, *others])
        if not rules.families_may_share(families, MessagingSettings.current().parents_may_write_parents):
            raise PermissionDenied("В этой переписке участвуют другие семьи, а школа не разрешает родителям писать друг другу. "
                                   "Напишите учителю или администрации отдельным сообщением.", code="families_apart")
    text = _body(body)
    checked = check_files(list(files))
    with transaction.atomic():
        return _add_message(actor, school, conversation, text, checked)[0]


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
    """A participant sends a message to the school administration as abusive; the reporter is kept.
    The administration is told at once: a notice for each of its people (in the platform, and by
    the channels they receive on), written in the report's own transaction so that it exists
    exactly when the report does, and the open reports are counted on their «Жалобы и настройки»
    tab until each is closed (`resolve_report`)."""
    ensure_writable(school)
    _roles(actor, school)
    if not selectors.is_participant(actor.pk, message.conversation_id):
        raise PermissionDenied("Вы не участвуете в этой переписке.")
    if message.author_id == actor.pk:
        raise ValidationFailed("На своё сообщение пожаловаться нельзя.", code="own_message")
    reason = (reason or "").strip()[:500]
    admins = sorted(selectors.admin_ids(school))
    try:
        with transaction.atomic():
            report = AbuseReport.objects.create(message=message, reporter=actor, reason=reason)
            told = _tell_administration(school, report, [pid for pid in admins if pid != actor.pk])
            record(actor=actor, action="messaging.abuse_reported", school=school, obj=report, object_repr=f"Жалоба {report.pk}",
                   after={"message": message.pk, "conversation": message.conversation_id, "author": message.author_id,
                          "reporter": actor.pk, "has_reason": bool(reason), "administration_told": told})
    except IntegrityError:
        raise Conflict("Вы уже сообщили администрации об этом сообщении.", code="already_reported") from None
    _send_after_commit(school, signals.abuse_reported, AbuseReport, report_id=report.pk, message_id=message.pk,
                       reporter_id=actor.pk, admin_ids=admins)
    return report


def _tell_administration(school: School, report: AbuseReport, admin_ids: list[int]) -> list[int]:
    """Notices of a new report to the school administration through notify's outbox (the public
    Draft/enqueue the family notices use), one per person, keyed by the report so a second call
    adds none. Neither the message's text nor anybody's name: only where to look. The sender is
    nudged after the commit. Returns who was told."""
    from notify.models import NoticeKind
    from notify.outbox import Draft, enqueue, kick_sender
    from notify.summary import site_url

    if not admin_ids:
        return []
    title = f"Жалоба на сообщение ({school.short_name})"
    body = (f"Участник переписки в {school.short_name} пожаловался администрации на сообщение. "
            f"Рассмотрите жалобу и закройте её: {site_url()}/s/{school.slug}/messages/reports/")
    payload = {"school": school.slug, "report": report.pk, "what": "abuse_report"}
    key = f"{school.schema_name}:abuse_report:{report.pk}"
    enqueue([Draft(recipient_id=pid, kind=NoticeKind.MESSAGE, key=key, title=title, body=body, payload=payload,
                   school_schema=school.schema_name) for pid in admin_ids])
    transaction.on_commit(kick_sender)
    return admin_ids


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
