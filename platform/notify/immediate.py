"""The notices sent at once: an absence as soon as the teacher marks «Н» and an unexcused
absence when the class teacher records the reason (each when the family asked for it), and a
saved period, year, exam or final mark (R-D05). Called inside the journal write's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from accounts.models import Person

from .family import recipients_for_student
from .models import Delivery, DeliveryStatus, Notice, NoticeKind, NotifySettings
from .outbox import Draft, enqueue, kick_sender, settings_of
from .summary import site_url

# A «Н» marked by mistake and removed within this time is withdrawn before any channel takes it.
ABSENCE_GRACE = dt.timedelta(minutes=1)

FINAL_KIND_LABELS = {"period": "за период", "year": "годовая", "exam": "экзаменационная", "final": "итоговая"}


def kick() -> None:
    kick_sender()


def _child_name(student_id: int) -> str:
    row = Person.objects.filter(pk=student_id).values_list("surname", "name").first()
    return f"{row[0]} {row[1]}" if row else ""


def _wanted(school: Any, student_id: int, now: dt.datetime, choice: str) -> tuple[list[int], dict[int, NotifySettings]]:
    """The family persons of this student who chose this kind of immediate notice."""
    recipients = recipients_for_student(school, student_id, timezone.localdate(now))
    prefs = settings_of(recipients)
    return [p for p in recipients if getattr(prefs[p], choice)], prefs


def _absence_facts(school: Any, attendance: Any) -> tuple[Any, str, str, dict[str, Any]]:
    """The lesson, the child's name, the subject and the notice's payload of an absence."""
    lesson = attendance.lesson
    subject = str(lesson.subject)
    payload = {"student_id": attendance.student_id, "school": school.slug, "subject": subject, "date": lesson.date.isoformat(),
               "lesson_number": lesson.lesson_number}
    return lesson, _child_name(attendance.student_id), subject, payload


def unexcused_absence(school: Any, attendance: Any, now: dt.datetime) -> int:
    wanted, prefs = _wanted(school, attendance.student_id, now, "unexcused_absence_now")
    if not wanted:
        return 0
    lesson, name, subject, payload = _absence_facts(school, attendance)
    title = f"Пропуск без уважительной причины: {name}"
    body = (f"{name} ({school.short_name}) отсутствовал(а) на уроке «{subject}» {lesson.date:%d.%m.%Y}, "
            f"{lesson.lesson_number}-й урок. Классный руководитель указал: без уважительной причины.\n\n"
            f"Электронный дневник: {site_url()}/home/")
    drafts = [Draft(recipient_id=p, kind=NoticeKind.UNEXCUSED_ABSENCE, key=f"{school.schema_name}:attendance:{attendance.pk}",
                    title=title, body=body, payload=payload, school_schema=school.schema_name) for p in wanted]
    return enqueue(drafts, now=now, prefs=prefs)


def _family_of(student_id: int) -> set[int]:
    """Inside the student's school schema: the student and their guardians (who may receive the
    student's data is decided by recipients_for_student; this is the cheap first cut)."""
    from roster.models import Guardianship

    return set(Guardianship.objects.filter(student_id=student_id).values_list("parent_id", flat=True)) | {student_id}


def _absence_key(school: Any, lesson_id: int, student_id: int) -> str:
    return f"{school.schema_name}:absence:{lesson_id}:{student_id}"


def absence_marked(school: Any, attendance: Any, now: dt.datetime) -> int:
    """«Н» marked (R-D03, 004 §1 «оперативный контроль … посещением … со стороны родителей»): a
    notice to the family persons who chose «сразу сообщать о любом пропуске». One per lesson and
    student whatever the toggling (the key); its channels wait ABSENCE_GRACE so that a «Н»
    removed at once is withdrawn unsent. Two queries when nobody of the family asked for it."""
    family = _family_of(attendance.student_id)
    if not NotifySettings.objects.filter(person_id__in=family, any_absence_now=True).exists():
        return 0
    wanted, prefs = _wanted(school, attendance.student_id, now, "any_absence_now")
    if not wanted:
        return 0
    lesson, name, subject, payload = _absence_facts(school, attendance)
    title = f"Пропуск урока: {name}"
    body = (f"{name} ({school.short_name}): отмечено отсутствие на уроке «{subject}» {lesson.date:%d.%m.%Y}, "
            f"{lesson.lesson_number}-й урок. Причину пропуска укажет классный руководитель; если ребёнок был на уроке, "
            f"сообщите ему.\n\nЭлектронный дневник: {site_url()}/home/")
    key = _absence_key(school, attendance.lesson_id, attendance.student_id)
    drafts = [Draft(recipient_id=p, kind=NoticeKind.ABSENCE_MARKED, key=key, title=title, body=body, payload=payload,
                    school_schema=school.schema_name) for p in wanted]
    return enqueue(drafts, now=now, prefs=prefs, deliver_at=now + ABSENCE_GRACE)


def withdraw_absence(school: Any, lesson_id: int, student_id: int, now: dt.datetime) -> int:
    """The «Н» removed (or changed to «О»): its notice, if taken by no channel yet (every delivery
    still pending, whatever the clock says: a sender held up or retrying has not brought it), is
    deleted; once a channel has it, it stays (and a new «Н» on the same lesson makes no second
    notice). The platform's list hides it for ABSENCE_GRACE (selectors.shown_to). Returns the
    number of notices withdrawn."""
    notices = list(Notice.objects.filter(recipient_id__in=_family_of(student_id), kind=NoticeKind.ABSENCE_MARKED,
                                         key=_absence_key(school, lesson_id, student_id))
                   .values_list("id", flat=True))
    if not notices:
        return 0
    # Locked: a sender claiming them now waits, then sees them gone; one that claimed first keeps them.
    taken = {n for n, status in Delivery.objects.select_for_update().filter(notice_id__in=notices)
             .values_list("notice_id", "status") if status != DeliveryStatus.PENDING}
    gone = [n for n in notices if n not in taken]
    if gone:
        Notice.objects.filter(id__in=gone).delete()
    return len(gone)


def note_individual_homework(school: Any, lesson_id: int, student_id: int, now: dt.datetime) -> None:
    """Remembers when a child's individual homework was saved (one upsert), for the summary."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO public.notify_individualhomeworkchange (school_schema, lesson_id, student_id, changed_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (school_schema, lesson_id, student_id) DO UPDATE SET changed_at = EXCLUDED.changed_at",
            [school.schema_name, lesson_id, student_id, now])


def final_mark(school: Any, mark: Any, now: dt.datetime) -> int:
    wanted, prefs = _wanted(school, mark.student_id, now, "final_marks_now")
    if not wanted:
        return 0
    name = _child_name(mark.student_id)
    subject = str(mark.subject)
    what = FINAL_KIND_LABELS.get(mark.kind, mark.kind)
    if mark.kind == "period" and mark.period_id:
        what = f"за {mark.period.name}"
    value = "н/а" if mark.not_assessed else (str(mark.value) if mark.mark_kind == "grade" else
                                             {"pass": "зачёт", "fail": "незачёт", "exempt": "освобождён"}.get(mark.mark_kind, ""))
    title = f"Итоговая отметка: {name}, {subject}"
    body = (f"{name} ({school.short_name}): отметка {what} по предмету «{subject}» — {value}.\n\n"
            f"Электронный дневник: {site_url()}/home/")
    payload = {"student_id": mark.student_id, "school": school.slug, "subject": subject, "kind": mark.kind,
               "period": mark.period_id, "value": value}
    # A corrected mark is a new notice (its version is in the key); the same save twice is not.
    key = f"{school.schema_name}:period_mark:{mark.pk}:v{mark.version}"
    drafts = [Draft(recipient_id=p, kind=NoticeKind.FINAL_MARK, key=key, title=title, body=body, payload=payload,
                    school_schema=school.schema_name) for p in wanted]
    return enqueue(drafts, now=now, prefs=prefs)


def message(school: Any, kind: str, object_id: int, author_id: int, recipient_ids: list[int], now: dt.datetime) -> int:
    """R-D06 wired to informing: a family person hears that a message or an announcement came
    (never its text: the messaging app hands over ids only), as does a person of the school's
    staff who asked for it (`staff_messages_now`, off by default: their inbox counts the unread).
    The person's roles in this school decide which choice applies; either one brings the notice."""
    from accounts.models import Membership
    from accounts.roles import FAMILY_ROLES

    people = set(recipient_ids) - {author_id}
    if not people or school.status == "archived":
        return 0
    roles: dict[int, set[str]] = {}
    for person_id, role in (Membership.objects.current(timezone.localdate(now)).filter(school=school, person_id__in=people)
                            .values_list("person_id", "role")):
        roles.setdefault(person_id, set()).add(role)
    prefs = settings_of(roles)
    wanted = sorted(p for p, held in roles.items()
                    if (held & FAMILY_ROLES and prefs[p].messages_now) or (held - FAMILY_ROLES and prefs[p].staff_messages_now))
    if not wanted:
        return 0
    row = Person.objects.filter(pk=author_id).values_list("surname", "name", "patronymic").first()
    author = " ".join(part for part in (row or ()) if part)
    what = "Новое сообщение" if kind == NoticeKind.MESSAGE else "Новое объявление"
    title = f"{what}: {author} ({school.short_name})"
    body = f"{what} от {author}, {school.short_name}. Прочитать: {site_url()}/messages/"
    drafts = [Draft(recipient_id=p, kind=kind, key=f"{school.schema_name}:{kind}:{object_id}", title=title, body=body,
                    payload={"school": school.slug, "id": object_id}, school_schema=school.schema_name) for p in wanted]
    return enqueue(drafts, now=now, prefs=prefs)
