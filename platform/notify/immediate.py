"""The notices sent at once: an unexcused absence (when the family asked for it) and a saved
period, year, exam or final mark (R-D05). Called inside the journal write's transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import Person

from .family import recipients_for_student
from .models import NoticeKind, NotifySettings
from .outbox import Draft, enqueue, kick_sender, settings_of
from .summary import site_url

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


def unexcused_absence(school: Any, attendance: Any, now: dt.datetime) -> int:
    wanted, prefs = _wanted(school, attendance.student_id, now, "unexcused_absence_now")
    if not wanted:
        return 0
    lesson = attendance.lesson
    name = _child_name(attendance.student_id)
    subject = str(lesson.subject)
    title = f"Пропуск без уважительной причины: {name}"
    body = (f"{name} ({school.short_name}) отсутствовал(а) на уроке «{subject}» {lesson.date:%d.%m.%Y}, "
            f"{lesson.lesson_number}-й урок. Классный руководитель указал: без уважительной причины.\n\n"
            f"Электронный дневник: {site_url()}/home/")
    payload = {"student_id": attendance.student_id, "school": school.slug, "subject": subject, "date": lesson.date.isoformat(),
               "lesson_number": lesson.lesson_number}
    drafts = [Draft(recipient_id=p, kind=NoticeKind.UNEXCUSED_ABSENCE, key=f"{school.schema_name}:attendance:{attendance.pk}",
                    title=title, body=body, payload=payload, school_schema=school.schema_name) for p in wanted]
    return enqueue(drafts, now=now, prefs=prefs)


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
    (never its text: the messaging app hands over ids only)."""
    from .family import family_memberships

    family = family_memberships(timezone.localdate(now), set(recipient_ids) - {author_id}).get(school.pk, {})
    prefs = settings_of(family)
    wanted = [p for p in family if prefs[p].messages_now]
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
