"""The teacher's notebook («Блокнот», 003 §2.3.4, R-J10): private marks for work in
progress. Nothing here reaches the diary, the API of families or a notice until the
teacher moves it into the journal in one action. Every entry written, changed, deleted or
moved is in the audit log with before and after (R-A01: every change is traceable)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from audit.services import record, snapshot
from core.errors import Conflict, NotFound, ValidationFailed
from curriculum.models import Subject
from roster.models import SchoolClass

from . import rules, services
from .models import Mark, NotebookEntry, Work

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

AUDITED = ["teacher", "school_class", "subject", "student", "value", "note", "date", "moved_to"]


def _value(value: object) -> int:
    _kind, number = rules.parse_mark(value)
    if number is None:
        raise ValidationFailed("В блокнот записывают отметку 1–5.", fields={"value": ["Только 1–5."]})
    return number


def add_note(actor: Person, school: School, *, school_class: SchoolClass, subject: Subject, student_id: int,
             value: object, note: str = "", date: dt.date | None = None) -> NotebookEntry:
    services._require_writer(actor, school)
    if not services.teaches(actor.pk, school_class.pk, subject.pk):
        raise ValidationFailed("Блокнот ведётся только по своим классам и предметам.", code="not_your_class")
    rules.ensure_marks_allowed(school_class.grade, subject)
    number = _value(value)
    with transaction.atomic():
        entry = NotebookEntry.objects.create(teacher=actor, school_class=school_class, subject=subject, student_id=student_id,
                                             value=number, note=note.strip()[:300], date=date or rules.today())
        record(actor=actor, action="journal.notebook.add", school=school, obj=entry, after=snapshot(entry, AUDITED))
    return entry


def _own_entry(actor: Person, entry_id: int) -> NotebookEntry:
    """The actor's own entry not yet moved (locked for the change); anybody else's is not found."""
    entry = NotebookEntry.objects.select_for_update().filter(pk=entry_id, teacher_id=actor.pk, moved_to__isnull=True).first()
    if entry is None:
        raise NotFound("Запись блокнота не найдена.")
    return entry


def change_note(actor: Person, school: School, entry_id: int, *, value: object | None = None,
                note: str | None = None) -> NotebookEntry:
    """The teacher corrects their own private mark or its note (audited with before and after)."""
    services._require_writer(actor, school)
    number = _value(value) if value is not None else None
    with transaction.atomic():
        entry = _own_entry(actor, entry_id)
        before = snapshot(entry, AUDITED)
        if number is not None:
            entry.value = number
        if note is not None:
            entry.note = note.strip()[:300]
        entry.save(update_fields=["value", "note"])
        record(actor=actor, action="journal.notebook.change", school=school, obj=entry, before=before,
               after=snapshot(entry, AUDITED))
    return entry


def delete_note(actor: Person, school: School, entry_id: int) -> None:
    """The teacher removes their own private mark (audited with what it was)."""
    services._require_writer(actor, school)
    with transaction.atomic():
        entry = _own_entry(actor, entry_id)
        before = snapshot(entry, AUDITED)
        pk, text = entry.pk, str(entry)
        entry.delete()
        record(actor=actor, action="journal.notebook.delete", school=school, object_type="journal.notebookentry",
               object_id=str(pk), object_repr=text, before=before)


def move_to_journal(actor: Person, school: School, entry_id: int, work: Work) -> Mark:
    """Moves a private mark into the journal as a real mark of `work` (all journal rules apply).
    Into an empty cell only: a mark already there (another entry moved into it, or one put in the
    journal) is refused with a clear error, never overwritten; nothing is half written."""
    with transaction.atomic():
        entry = _own_entry(actor, entry_id)
        if work.lesson.school_class_id != entry.school_class_id or work.lesson.subject_id != entry.subject_id:
            raise ValidationFailed("Работа из другого класса или предмета.", fields={"work": ["Не подходит."]})
        services.ensure_no_mark(work, entry.student_id, "запись блокнота")
        before = snapshot(entry, AUDITED)
        try:
            with transaction.atomic():
                mark = services.record_mark(actor, school, work, entry.student_id, str(entry.value), expected_version=0)
                assert mark is not None
                entry.moved_to = mark
                entry.save(update_fields=["moved_to"])
        except IntegrityError as exc:  # the one-to-one moved_to: another entry went into this mark meanwhile
            raise Conflict("В эту клетку журнала уже перенесена другая запись блокнота. Обновите страницу.",
                           code="mark_exists") from exc
        record(actor=actor, action="journal.notebook.move", school=school, obj=entry, before=before,
               after={**snapshot(entry, AUDITED), "mark": mark.pk})
    return mark


def private_entries(teacher_id: int, school_class_id: int, subject_id: int) -> list[NotebookEntry]:
    return list(NotebookEntry.objects.filter(teacher_id=teacher_id, school_class_id=school_class_id, subject_id=subject_id,
                                             moved_to__isnull=True).order_by("date", "student_id"))
