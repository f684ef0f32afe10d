"""The teacher's notebook («Блокнот», 003 §2.3.4, R-J10): private marks for work in
progress. Nothing here reaches the diary, the API of families or a notice until the
teacher moves it into the journal in one action."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from audit.services import record
from core.errors import NotFound, ValidationFailed
from curriculum.models import Subject
from roster.models import SchoolClass

from . import rules, services
from .models import NotebookEntry, Work

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School


def add_note(actor: Person, school: School, *, school_class: SchoolClass, subject: Subject, student_id: int,
             value: object, note: str = "", date: dt.date | None = None) -> NotebookEntry:
    services._require_writer(actor, school)
    if not services.teaches(actor.pk, school_class.pk, subject.pk):
        raise ValidationFailed("Блокнот ведётся только по своим классам и предметам.", code="not_your_class")
    rules.ensure_marks_allowed(school_class.grade)
    _kind, number = rules.parse_mark(value)
    if number is None:
        raise ValidationFailed("В блокнот записывают отметку 1–5.", fields={"value": ["Только 1–5."]})
    entry = NotebookEntry.objects.create(teacher=actor, school_class=school_class, subject=subject, student_id=student_id,
                                         value=number, note=note.strip()[:300], date=date or rules.today())
    return entry


def move_to_journal(actor: Person, school: School, entry_id: int, work: Work) -> None:
    """Moves a private mark into the journal as a real mark of `work` (all journal rules apply)."""
    with transaction.atomic():
        entry = NotebookEntry.objects.select_for_update().filter(pk=entry_id, teacher=actor, moved_to__isnull=True).first()
        if entry is None:
            raise NotFound("Запись блокнота не найдена.")
        if work.lesson.school_class_id != entry.school_class_id or work.lesson.subject_id != entry.subject_id:
            raise ValidationFailed("Работа из другого класса или предмета.", fields={"work": ["Не подходит."]})
        mark = services.record_mark(actor, school, work, entry.student_id, str(entry.value))
        entry.moved_to = mark
        entry.save(update_fields=["moved_to"])
        record(actor=actor, action="journal.notebook.move", school=school, obj=entry, after={"mark": mark.pk if mark else None})


def private_entries(teacher_id: int, school_class_id: int, subject_id: int) -> list[NotebookEntry]:
    return list(NotebookEntry.objects.filter(teacher_id=teacher_id, school_class_id=school_class_id, subject_id=subject_id,
                                             moved_to__isnull=True).order_by("date", "student_id"))
