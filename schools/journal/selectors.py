"""Reads of the journal shared by pages and the API. The grid costs a fixed number of
queries whatever its size (a class of 35 × 100 lessons included)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q

from accounts.models import Person
from curriculum.models import CurriculumLine
from roster.models import Enrolment, SchoolClass, SubgroupMember

from .models import Attendance, JournalSettings, Lesson, Mark, MarkKind, PeriodMark, Work
from .rules import min_marks_required


def class_students(school_class_id: int, start: dt.date, end: dt.date, subgroup_id: int | None = None) -> list[Person]:
    """Students enrolled in the class at any time between the dates, in list order."""
    ids = Enrolment.objects.filter(school_class_id=school_class_id, since__lte=end).filter(
        Q(until__isnull=True) | Q(until__gte=start)).values("student_id")
    qs = Person.objects.filter(pk__in=ids)
    if subgroup_id:
        qs = qs.filter(pk__in=SubgroupMember.objects.filter(subgroup_id=subgroup_id).values("student_id"))
    return list(qs.order_by("surname", "name", "patronymic"))


def weighted_averages(marks: list[tuple[int, Decimal]]) -> tuple[Decimal | None, Decimal | None]:
    """Plain and weighted averages of (value, weight) pairs, to two decimals."""
    if not marks:
        return None, None
    plain = Decimal(sum(v for v, _ in marks)) / len(marks)
    total_weight = sum((w for _, w in marks), Decimal(0))
    weighted = sum((Decimal(v) * w for v, w in marks), Decimal(0)) / total_weight if total_weight else plain
    q = Decimal("0.01")
    return plain.quantize(q, ROUND_HALF_UP), weighted.quantize(q, ROUND_HALF_UP)


def propose_mark(average: Decimal | None, round_up_from: Decimal) -> int | None:
    """The period mark an average suggests: x.60 and above rounds up by default (R-J11)."""
    if average is None:
        return None
    whole = int(average)
    return min(5, whole + (1 if average - whole >= round_up_from else 0))


@dataclass
class GridRow:
    student: Person
    cells: dict[int, list[Mark]] = field(default_factory=dict)  # work id -> marks
    attendance: dict[int, Attendance] = field(default_factory=dict)  # lesson id -> row
    plain: Decimal | None = None
    weighted: Decimal | None = None
    proposed: int | None = None
    count: int = 0
    short: bool = False
    period_mark: PeriodMark | None = None


@dataclass
class Grid:
    school_class: SchoolClass
    lessons: list[Lesson]
    works: dict[int, list[Work]]  # lesson id -> works
    rows: list[GridRow]
    min_marks: int
    hours_per_week: Decimal


def journal_grid(school_class: SchoolClass, subject_id: int, start: dt.date, end: dt.date, *,
                 subgroup_id: int | None = None, period_id: int | None = None) -> Grid:
    """The class × subject page: students in rows, lesson dates in columns, averages and the
    period mark at the end. Seven queries, whatever the number of students and lessons."""
    settings_row = JournalSettings.current()
    lesson_qs = Lesson.objects.filter(school_class=school_class, subject_id=subject_id, date__gte=start, date__lte=end)
    lesson_qs = lesson_qs.filter(subgroup_id=subgroup_id) if subgroup_id else lesson_qs.filter(subgroup__isnull=True)
    lessons = list(lesson_qs.order_by("date", "lesson_number"))
    works_by_lesson: dict[int, list[Work]] = defaultdict(list)
    works = list(Work.objects.filter(lesson__in=lessons).select_related("work_type").order_by("lesson_id", "position"))
    for work in works:
        works_by_lesson[work.lesson_id].append(work)
    students = class_students(school_class.pk, start, end, subgroup_id)
    rows = {s.pk: GridRow(student=s) for s in students}
    weights = {w.pk: w.work_type.weight for w in works}
    per_student: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for mark in Mark.objects.filter(work__in=works).order_by("work_id"):
        row = rows.get(mark.student_id)
        if row is None:
            continue
        row.cells.setdefault(mark.work_id, []).append(mark)
        if mark.kind == MarkKind.GRADE and mark.value:
            per_student[mark.student_id].append((mark.value, weights[mark.work_id]))
    for att in Attendance.objects.filter(lesson__in=lessons):
        if att.student_id in rows:
            rows[att.student_id].attendance[att.lesson_id] = att
    hours = (CurriculumLine.objects.filter(school_class=school_class, subject_id=subject_id)
             .values_list("hours_per_week", flat=True).first() or Decimal(0))
    needed = min_marks_required(float(hours))
    if period_id:
        for pm in PeriodMark.objects.filter(school_class=school_class, subject_id=subject_id, kind="period", period_id=period_id):
            if pm.student_id in rows:
                rows[pm.student_id].period_mark = pm
    for student_id, row in rows.items():
        marks = per_student.get(student_id, [])
        row.count = len(marks)
        row.plain, row.weighted = weighted_averages(marks)
        basis = row.weighted if settings_row.use_weighted_average else row.plain
        row.proposed = propose_mark(basis, settings_row.round_up_from)
        row.short = row.count < needed
    return Grid(school_class=school_class, lessons=lessons, works=dict(works_by_lesson), rows=list(rows.values()),
                min_marks=needed, hours_per_week=hours)


def lessons_without_entries(start: dt.date, end: dt.date, *, teacher_id: int | None = None) -> list[dict[str, Any]]:
    """R-J05: recorded lessons missing a topic or homework, and late entries, for the deputy."""
    qs = Lesson.objects.filter(date__gte=start, date__lte=end).select_related("school_class", "subject", "teacher")
    if teacher_id:
        qs = qs.filter(teacher_id=teacher_id)
    result = []
    for lesson in qs.order_by("date", "school_class__grade", "school_class__letter", "lesson_number"):
        problems = []
        if not lesson.topic:
            problems.append("нет темы")
        if not lesson.homework:
            problems.append("нет домашнего задания")
        if lesson.entered_late:
            problems.append("внесён не в день урока")
        if problems:
            result.append({"lesson": lesson, "problems": problems})
    return result
