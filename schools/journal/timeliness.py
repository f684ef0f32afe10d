"""Attendance taken for a lesson (R-J05; 003 §2.1, 004 §VIII): presence is the absence of a row, so
a lesson where everybody came looks the same as one whose attendance was never taken. The lesson
keeps when its attendance was first taken (`Lesson.attendance_taken_at`): set by every saved
attendance (services.set_attendance), by the lesson page's save (its sheet lists every student) and
by «все присутствуют» here. The deputy's list (selectors.lessons_to_check) shows the lessons
without it, and those where it came after the lesson's day."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.services import record
from schoolyear.guards import ensure_year_open

from . import rules
from .models import Attendance, Lesson

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School


def note_taken(lesson: Lesson) -> bool:
    """Marks the lesson's attendance as taken now, unless it already was (the first time counts for
    timeliness). For callers that have already checked the writer and the lock. One query."""
    now = timezone.now()
    updated = Lesson.objects.filter(pk=lesson.pk, attendance_taken_at__isnull=True).update(attendance_taken_at=now)
    if updated:
        lesson.attendance_taken_at = now
    return bool(updated)


def confirm_attendance(actor: Person, school: School, lesson: Lesson) -> Lesson:
    """«Все присутствуют» (or: the absences entered are all there are): the lesson's teacher or its
    substitute, within the 7-day lock, in an open year. Audited the first time; again is a no-op."""
    from .services import _require_teacher_of

    _require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date, lesson.lesson_number)
    ensure_year_open(lesson.school_class.year_id)
    rules.ensure_not_locked(lesson.date)
    with transaction.atomic():
        if note_taken(lesson):
            taken = lesson.attendance_taken_at
            assert taken is not None
            absent = Attendance.objects.filter(lesson=lesson, status=Attendance.Status.ABSENT).count()
            record(actor=actor, action="journal.attendance.taken", school=school, obj=lesson, before={"attendance_taken_at": None},
                   after={"attendance_taken_at": taken.isoformat(), "absent": absent, "late": timezone.localdate(taken) > lesson.date})
        else:
            lesson.refresh_from_db(fields=["attendance_taken_at"])
    return lesson
