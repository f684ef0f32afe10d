"""Reads of the journal shared by pages and the API. The grid costs a fixed number of
queries whatever its size (a class of 35 × 100 lessons included)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import CharField, Count, DateField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from accounts.models import Person
from curriculum.models import CurriculumLine, CurriculumPart
from roster.models import Enrolment, SchoolClass, SubgroupMember

from .models import (
    Attendance,
    ChangeRequest,
    IndividualHomework,
    JournalSettings,
    KtpTopic,
    Lesson,
    Mark,
    MarkKind,
    PeriodMark,
    Work,
    WorkType,
)
from .rules import min_marks_required


def class_students(school_class_id: int, start: dt.date, end: dt.date, subgroup_id: int | None = None, *,
                   with_subgroups: set[int] | None = None) -> list[Person]:
    """Students enrolled in the class at any time between the dates, in list order. With
    `with_subgroups`, each carries `j_subgroups`: which of those subgroups they belong to (same query)."""
    ids = Enrolment.objects.filter(school_class_id=school_class_id, since__lte=end).filter(
        Q(until__isnull=True) | Q(until__gte=start)).values("student_id")
    qs = Person.objects.filter(pk__in=ids)
    if subgroup_id:
        qs = qs.filter(pk__in=SubgroupMember.objects.filter(subgroup_id=subgroup_id).values("student_id"))
    if with_subgroups:
        from django.contrib.postgres.expressions import ArraySubquery
        from django.db.models import OuterRef

        qs = qs.annotate(j_subgroups=ArraySubquery(SubgroupMember.objects.filter(
            student_id=OuterRef("pk"), subgroup_id__in=with_subgroups).values("subgroup_id")))
    return list(qs.order_by("surname", "name", "patronymic"))


def weighted_averages(marks: list[tuple[int, Decimal]]) -> tuple[Decimal | None, Decimal | None]:
    """Plain and weighted averages of (value, weight) pairs, to two decimals."""
    if not marks:
        return None, None
    return averages_of_sums(len(marks), sum(v for v, _ in marks), sum((Decimal(v) * w for v, w in marks), Decimal(0)),
                            sum((w for _, w in marks), Decimal(0)))


def averages_of_sums(count: int, values: int, weighted_values: Decimal, total_weight: Decimal) -> tuple[Decimal, Decimal]:
    """weighted_averages from running sums (count, Σvalue, Σvalue·weight, Σweight): the forecast adds
    one mark at a time without summing the period again."""
    plain = Decimal(values) / count
    weighted = weighted_values / total_weight if total_weight else plain
    q = Decimal("0.01")
    return plain.quantize(q, ROUND_HALF_UP), weighted.quantize(q, ROUND_HALF_UP)


def propose_mark(average: Decimal | None, round_up_from: Decimal) -> int | None:
    """The period mark an average suggests: x.60 and above rounds up by default (R-J11)."""
    if average is None:
        return None
    whole = int(average)
    return min(5, whole + (1 if average - whole >= round_up_from else 0))


@dataclass(slots=True)
class GridMark:
    """A mark as the grid reads it: a plain row, not a model instance (a 35 × 100 grid holds some
    7,000 marks; model instances cost about 100 ms of CPU and garbage collection there)."""

    pk: int
    work_id: int
    student_id: int
    kind: str
    value: int | None
    version: int
    source_document: str

    @property
    def id(self) -> int:
        return self.pk

    @property
    def display(self) -> str:
        return {"grade": str(self.value), "pass": "зач", "fail": "незач", "exempt": "осв"}[self.kind]


@dataclass
class GridRow:
    student: Person
    cells: dict[int, list[GridMark]] = field(default_factory=dict)  # work id -> marks
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
    # Subgroup id -> its students, for the subgroup lessons among `lessons`: a student's lessons are
    # the whole-class ones and those of the subgroups they belong to.
    members: dict[int, set[int]] = field(default_factory=dict)

    def attends(self, lesson: Lesson, student_id: int) -> bool:
        """Whether the lesson is one of the student's (a whole-class lesson, or one of their subgroup)."""
        return lesson.subgroup_id is None or student_id in self.members.get(lesson.subgroup_id, set())


def journal_grid(school_class: SchoolClass, subject_id: int, start: dt.date, end: dt.date, *,
                 subgroup_id: int | None = None, period_id: int | None = None,
                 settings_row: JournalSettings | None = None, hours: Decimal | None = None, no_marks: bool = False) -> Grid:
    """The class × subject page: students in rows, lesson dates in columns, averages and the
    period mark at the end. Seven queries, whatever the number of students and lessons; five
    when the caller already holds the settings and the subject's weekly hours (the grid page).

    A student's lessons are the whole-class lessons and those of the subgroups they belong to: the
    class's journal shows every lesson of the subject (a subgroup's lesson is blank for the other
    students), a subgroup's journal shows its own lessons and the whole-class ones. Counts, averages
    and the minimum-marks check thus take every lesson the student attended."""
    settings_row = settings_row or JournalSettings.current()
    lesson_qs = Lesson.objects.filter(school_class=school_class, subject_id=subject_id, date__gte=start, date__lte=end)
    if subgroup_id:
        lesson_qs = lesson_qs.filter(Q(subgroup_id=subgroup_id) | Q(subgroup__isnull=True))
    lessons = list(lesson_qs.select_related("subgroup").defer("created_at", "updated_at").order_by("date", "lesson_number", "subgroup_id"))
    subgroup_ids = {ls.subgroup_id for ls in lessons if ls.subgroup_id}
    works_by_lesson: dict[int, list[Work]] = defaultdict(list)
    works = list(Work.objects.filter(lesson__in=lessons).select_related("work_type").order_by("lesson_id", "position"))
    for work in works:
        works_by_lesson[work.lesson_id].append(work)
    students = class_students(school_class.pk, start, end, subgroup_id, with_subgroups=subgroup_ids)
    rows = {s.pk: GridRow(student=s) for s in students}
    members: dict[int, set[int]] = defaultdict(set)
    for s in students if subgroup_ids else []:
        for sg_id in s.j_subgroups or []:  # type: ignore[attr-defined]
            members[sg_id].add(s.pk)
    weights = {w.pk: w.work_type.weight for w in works}
    per_student: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    # Timestamps stay unloaded: psycopg parses each timestamptz in Python (Django's time-zone loader
    # subclasses the pure-Python one), which cost ~0.3 s for the 7,000 of a 35 × 100 grid.
    grade = MarkKind.GRADE.value
    for pk, work_id, student_id, kind, value, version, document in (
        Mark.objects.filter(work__in=works).order_by("work_id")
        .values_list("pk", "work_id", "student_id", "kind", "value", "version", "source_document")
    ):
        row = rows.get(student_id)
        if row is None:
            continue
        row.cells.setdefault(work_id, []).append(GridMark(pk, work_id, student_id, kind, value, version, document))
        if kind == grade and value:
            per_student[student_id].append((value, weights[work_id]))
    for att in Attendance.objects.filter(lesson__in=lessons):
        if att.student_id in rows:
            rows[att.student_id].attendance[att.lesson_id] = att
    if hours is None:
        hours = (CurriculumLine.objects.filter(school_class=school_class, subject_id=subject_id)
                 .values_list("hours_per_week", flat=True).first() or Decimal(0))
    # A journal without marks (grade 1, an extracurricular subject: R-J04, R-J15) asks for none.
    needed = 0 if no_marks else min_marks_required(float(hours))
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
                min_marks=needed, hours_per_week=hours, members=dict(members))


@dataclass
class CheckRow:
    """One lesson for the deputy's control of timeliness (R-J05; 003 §2.1–2.2, 004 §VIII): a lesson of
    the timetable (substitutions, days off and holidays applied) or a recorded one, with what is
    missing and what was entered after the lesson's day."""

    date: dt.date
    lesson_number: int
    school_class: SchoolClass
    subject: Any  # curriculum.Subject
    subgroup: Any  # roster.Subgroup or None
    teacher: Person | None
    lesson: Lesson | None  # None: the timetable's lesson was never recorded
    in_timetable: bool
    problems: list[str] = field(default_factory=list)
    attendance_taken: bool = False
    entered_late: bool = False  # the record itself was first saved after the lesson's day
    late_attendance: bool = False  # attendance taken (or an absence entered) after the lesson's day
    late_marks: int = 0  # marks entered after the lesson's day (marks from elsewhere, R-J09, excepted)
    control_without_marks: int = 0  # students present at a control work without its mark


NOT_RECORDED = "урок не записан в журнал (нет темы, посещаемости, домашнего задания)"


def lessons_to_check(start: dt.date, end: dt.date, *, teacher_id: int | None = None, class_id: int | None = None,
                     now: dt.datetime | None = None) -> list[CheckRow]:
    """R-J05: the lessons between the dates that miss something or were filled in late, for the
    deputy: lessons of the timetable with no record at all (a lesson of today only once it has
    ended), records without a topic or homework, lessons whose attendance was never taken (not even
    «все присутствуют»), control works without a mark or an absence for every student present, and
    records, attendance and marks entered after the lesson's day (from their own timestamps).
    A fixed number of queries whatever the number of classes, lessons and marks (two more per
    school year the dates cross)."""
    from django.db.models import Exists, IntegerField, OuterRef, Subquery
    from django.utils import timezone

    from schoolyear.calendar_service import SchoolCalendar
    from schoolyear.models import AcademicYear
    from timetable.selectors import _lessons

    from . import rules

    today = rules.today()
    now = timezone.localtime(now)
    slots: list[Any] = []
    last = min(end, today)
    if start <= last:
        for year in AcademicYear.objects.filter(starts_on__lte=last, ends_on__gte=start).order_by("starts_on"):
            first, final = max(start, year.starts_on), min(last, year.ends_on)
            days = [first + dt.timedelta(days=n) for n in range((final - first).days + 1)]
            for day, items in _lessons(days, SchoolCalendar.for_year(year), teacher_id, class_id).items():
                slots.extend(s for s in items if day < today or s.ends_at is None or s.ends_at <= now.time())
    late_marks = (Mark.objects.filter(work__lesson=OuterRef("pk"), source_document="", created_at__date__gt=OuterRef("date"))
                  .order_by().values("work__lesson").annotate(n=Count("pk")).values("n")[:1])
    qs = Lesson.objects.filter(date__gte=start, date__lte=end)
    if class_id is not None:
        qs = qs.filter(school_class_id=class_id)
    if teacher_id is not None:
        # Their own records, and the records of the lessons the timetable gives them (whoever saved them).
        qs = qs.filter(Q(teacher_id=teacher_id) | Q(school_class_id__in={s.school_class.pk for s in slots}))
    records = list(qs.select_related("school_class", "subject", "subgroup", "teacher").defer("done").annotate(
        j_attendance=Exists(Attendance.objects.filter(lesson=OuterRef("pk"))),
        j_late_attendance=Exists(Attendance.objects.filter(lesson=OuterRef("pk"), created_at__date__gt=OuterRef("date"))),
        j_late_marks=Subquery(late_marks, output_field=IntegerField()),
    ))
    by_slot = {(r.school_class_id, r.subgroup_id, r.subject_id, r.date, r.lesson_number): r for r in records}
    rows: list[CheckRow] = []
    for s in slots:
        record = by_slot.pop((s.school_class.pk, s.subgroup.pk if s.subgroup else None, s.subject.pk, s.date, s.lesson_number), None)
        rows.append(CheckRow(s.date, s.lesson_number, s.school_class, s.subject, s.subgroup, record.teacher if record else s.teacher,
                             record, True))
    for r in by_slot.values():
        if teacher_id is None or r.teacher_id == teacher_id:
            rows.append(CheckRow(r.date, r.lesson_number, r.school_class, r.subject, r.subgroup, r.teacher, r, False))
    unmarked = _control_without_marks(records, start, end)
    for row in rows:
        _check(row, unmarked)
    rows = [r for r in rows if r.problems]
    rows.sort(key=lambda r: (r.date, r.school_class.grade, r.school_class.letter, r.lesson_number,
                             r.subgroup.name if r.subgroup else "", r.subject.name))
    return rows


def _check(row: CheckRow, unmarked: dict[int, int]) -> None:
    from django.utils import timezone

    lesson: Any = row.lesson
    if lesson is None:
        row.problems.append(NOT_RECORDED)
        return
    if not lesson.topic:
        row.problems.append("нет темы")
    if not lesson.homework:
        row.problems.append("нет домашнего задания")
    taken = lesson.attendance_taken_at
    row.attendance_taken = taken is not None or lesson.j_attendance
    if not row.attendance_taken:
        row.problems.append("посещаемость не отмечена")
    row.control_without_marks = unmarked.get(lesson.pk, 0)
    if row.control_without_marks:
        row.problems.append(f"контрольная без отметок: {row.control_without_marks}")
    row.entered_late = lesson.entered_late
    if row.entered_late:
        row.problems.append("внесён не в день урока")
    row.late_attendance = bool(lesson.j_late_attendance) or (taken is not None and timezone.localdate(taken) > lesson.date)
    if row.late_attendance:
        row.problems.append("посещаемость внесена не в день урока")
    row.late_marks = lesson.j_late_marks or 0
    if row.late_marks:
        row.problems.append(f"отметки внесены не в день урока: {row.late_marks}")


def _control_without_marks(lessons: Sequence[Lesson], start: dt.date, end: dt.date) -> dict[int, int]:
    """Lesson id -> how many students present lack a mark at its works that need one for everyone
    (000 §2.11, R-J03: a control work needs a mark or an absence for every student present). Four
    queries for all the lessons, one when none has such a work."""
    by_id = {ls.pk: ls for ls in lessons}
    works = list(Work.objects.filter(lesson_id__in=list(by_id), work_type__requires_all_marks=True).values_list("pk", "lesson_id")) \
        if by_id else []
    if not works:
        return {}
    lesson_ids = {lesson_id for _, lesson_id in works}
    marked = set(Mark.objects.filter(work_id__in=[pk for pk, _ in works]).values_list("work_id", "student_id"))
    absent = set(Attendance.objects.filter(lesson_id__in=lesson_ids, status=Attendance.Status.ABSENT).values_list("lesson_id", "student_id"))
    enrolled: dict[int, list[tuple[int, dt.date, dt.date | None]]] = defaultdict(list)
    for class_id, student_id, since, until in (
        Enrolment.objects.filter(school_class_id__in={by_id[i].school_class_id for i in lesson_ids}, since__lte=end)
        .filter(Q(until__isnull=True) | Q(until__gte=start)).values_list("school_class_id", "student_id", "since", "until")
    ):
        enrolled[class_id].append((student_id, since, until))
    members: dict[int, set[int]] = defaultdict(set)
    subgroup_ids = {sg for i in lesson_ids if (sg := by_id[i].subgroup_id) is not None}
    for subgroup_id, student_id in (SubgroupMember.objects.filter(subgroup_id__in=subgroup_ids).values_list("subgroup_id", "student_id")
                                    if subgroup_ids else []):
        members[subgroup_id].add(student_id)
    result: dict[int, int] = defaultdict(int)
    for work_id, lesson_id in works:
        ls = by_id[lesson_id]
        for student_id, since, until in enrolled[ls.school_class_id]:
            if since <= ls.date and (until is None or until >= ls.date) \
                    and (ls.subgroup_id is None or student_id in members[ls.subgroup_id]) \
                    and (lesson_id, student_id) not in absent and (work_id, student_id) not in marked:
                result[lesson_id] += 1
    return dict(result)


# --- the teacher's daily work: the grid's columns, the day, the lesson sheet, КТП topics --------

@dataclass
class JournalHead:
    """What the grid page needs before the grid: the class, the subject, the subgroup, whether the
    person teaches it, the subject's weekly hours and the school's journal settings."""

    school_class: SchoolClass
    subject: Any  # curriculum.Subject (only its id and name are loaded)
    subgroup: Any  # roster.Subgroup or None
    teaches: bool
    hours: Decimal
    settings: JournalSettings | None  # None until the school's settings row exists


def journal_head(class_id: int, subject_id: int, person_id: int, subgroup_id: int | None = None) -> JournalHead | None:
    """One query (the grid page has 15 in all): the class with its year, annotated with the rest.
    None when the class does not exist; `subject` is None when the subject does not."""
    from django.db.models import Exists, OuterRef, Subquery

    from curriculum.models import Subject, TeachingAssignment
    from roster.models import Subgroup

    load = TeachingAssignment.objects.filter(teacher_id=person_id, school_class=OuterRef("pk"), subject_id=subject_id)
    if subgroup_id:
        load = load.filter(Q(subgroup_id=subgroup_id) | Q(subgroup__isnull=True))  # as services.teaches
    settings_qs = JournalSettings.objects.filter(pk=1)
    row = (SchoolClass.objects.select_related("year").filter(pk=class_id).annotate(
        j_teaches=Exists(load),
        j_subject=Subquery(Subject.objects.filter(pk=subject_id).values("name")[:1]),
        j_subject_extra=Subquery(Subject.objects.filter(pk=subject_id).values("is_extracurricular")[:1]),
        j_subgroup=Subquery(Subgroup.objects.filter(pk=subgroup_id or 0, school_class=OuterRef("pk")).values("name")[:1]),
        j_hours=Subquery(CurriculumLine.objects.filter(school_class=OuterRef("pk"), subject_id=subject_id).order_by("pk")
                         .values("hours_per_week")[:1]),
        j_lock_days=Subquery(settings_qs.values("lock_days")[:1]),
        j_round_up_from=Subquery(settings_qs.values("round_up_from")[:1]),
        j_weighted=Subquery(settings_qs.values("use_weighted_average")[:1]),
        j_days_after=Subquery(settings_qs.values("period_mark_days_after")[:1]),
    ).first())
    if row is None:
        return None
    a: Any = row
    subject = Subject(pk=subject_id, name=a.j_subject, is_extracurricular=bool(a.j_subject_extra)) if a.j_subject is not None else None
    subgroup = Subgroup(pk=subgroup_id, name=a.j_subgroup, school_class=row) if a.j_subgroup is not None else None
    settings_row = (JournalSettings(pk=1, lock_days=a.j_lock_days, round_up_from=a.j_round_up_from, use_weighted_average=a.j_weighted,
                                    period_mark_days_after=a.j_days_after) if a.j_lock_days is not None else None)
    return JournalHead(row, subject, subgroup, bool(a.j_teaches), a.j_hours or Decimal(0), settings_row)


@dataclass(frozen=True)
class GridColumn:
    """One column of the grid: a work of a lesson, or the lesson itself when it has no work
    yet (attendance only). Several works of one lesson sit side by side under its date."""

    lesson: Lesson
    work: Work | None
    locked: bool  # older than the 7-day lock (R-J07): only a change request may alter it
    first: bool  # the first column of its lesson
    span: int  # how many columns its lesson has


def grid_columns(grid: Grid, lock_from: dt.date) -> list[GridColumn]:
    columns: list[GridColumn] = []
    for lesson in grid.lessons:
        works: list[Work | None] = list(grid.works.get(lesson.pk, [])) or [None]
        for n, work in enumerate(works):
            columns.append(GridColumn(lesson, work, lesson.date < lock_from, n == 0, len(works)))
    return columns


def lesson_students(school_class_id: int, day: dt.date, subgroup_id: int | None = None) -> list[Person]:
    """The students of a lesson: enrolled in the class on that day (and in its subgroup)."""
    return class_students(school_class_id, day, day, subgroup_id)


@dataclass
class SheetRow:
    student: Person
    attendance: Attendance | None = None
    marks: dict[int, Mark] = field(default_factory=dict)  # work id -> mark
    homework: str = ""  # individual homework

    @property
    def status(self) -> str:
        return self.attendance.status if self.attendance else ""


@dataclass
class LessonSheet:
    """A lesson's students with their attendance, marks per work and individual homework."""

    works: list[Work]
    rows: list[SheetRow]
    unmarked: dict[int, int]  # works that need a mark for everyone present -> students without one


def lesson_sheet(school_class_id: int, day: dt.date, subgroup_id: int | None = None, lesson: Lesson | None = None) -> LessonSheet:
    """Five queries whatever the size of the class."""
    rows = {s.pk: SheetRow(student=s) for s in lesson_students(school_class_id, day, subgroup_id)}
    if lesson is None or lesson.pk is None:
        return LessonSheet([], list(rows.values()), {})
    works = list(Work.objects.filter(lesson=lesson).select_related("work_type").order_by("position"))
    for mark in Mark.objects.filter(work__lesson=lesson):
        if mark.student_id in rows:
            rows[mark.student_id].marks[mark.work_id] = mark
    for att in Attendance.objects.filter(lesson=lesson):
        if att.student_id in rows:
            rows[att.student_id].attendance = att
    for hw in IndividualHomework.objects.filter(lesson=lesson):
        if hw.student_id in rows:
            rows[hw.student_id].homework = hw.text
    unmarked = {}
    for work in works:
        if work.work_type.requires_all_marks:
            # 000 §2.11 (R-J03): a control work needs a mark for every student present.
            unmarked[work.pk] = sum(1 for r in rows.values() if r.status != Attendance.Status.ABSENT and work.pk not in r.marks)
    return LessonSheet(works, list(rows.values()), unmarked)


def ktp_topics(school_class_id: int, subject_id: int, subgroup_id: int | None = None) -> tuple[list[KtpTopic], KtpTopic | None]:
    """The КТП (calendar-thematic plan) topics of a class and subject (of the subgroup's own plan,
    else the class's) with the number of lessons already given on each (`given`: for a subgroup,
    only the lessons its students attend), and the next topic not yet delivered, to suggest (R-J13)."""
    qs = KtpTopic.objects.filter(plan__school_class_id=school_class_id, plan__subject_id=subject_id)
    given = Count("lessons", filter=Q(lessons__subgroup_id=subgroup_id) | Q(lessons__subgroup__isnull=True)) if subgroup_id \
        else Count("lessons")
    topics: list[KtpTopic] = []
    if subgroup_id:
        topics = list(qs.filter(plan__subgroup_id=subgroup_id).annotate(given=given).order_by("number"))
    if not topics:
        topics = list(qs.filter(plan__subgroup__isnull=True).annotate(given=given).order_by("number"))
    suggested = next((t for t in topics if t.given < t.hours), None)  # type: ignore[attr-defined]
    return topics, suggested


@dataclass
class DayLesson:
    """A lesson of the teacher's day: a timetable slot with substitutions applied (R-J06),
    matched to its journal record, with what is still missing (R-J05)."""

    date: dt.date
    lesson_number: int
    school_class: SchoolClass
    subject: Any  # curriculum.Subject
    subgroup: Any = None  # roster.Subgroup
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    room: str = ""
    replaces: Person | None = None  # the timetable's teacher, when this one substitutes
    substitution_reason: str = ""
    in_timetable: bool = True
    lesson: Lesson | None = None
    missing: list[str] = field(default_factory=list)
    absent: int = 0
    late: int = 0
    marks: int = 0


def teacher_day(teacher: Person, day: dt.date) -> list[DayLesson]:
    """The teacher's lessons on `day` from the timetable (substitutions included: the lessons
    they substitute, not the ones somebody substitutes for them), and the lessons they recorded
    that day outside it. A lesson not yet recorded misses its topic, attendance and homework; a
    recorded one may miss its topic, its attendance (never taken: `attendance_taken_at` empty, as
    presence is the absence of a row), its homework (003 §2.1–2.2: all on the day) or the marks of
    a control work. About ten queries whatever the number of lessons."""
    from timetable.selectors import lessons_on

    slots = lessons_on(day, teacher=teacher)
    class_ids = {s.school_class.pk for s in slots}
    recorded = list(Lesson.objects.filter(date=day).filter(Q(teacher_id=teacher.pk) | Q(school_class_id__in=class_ids))
                    .select_related("school_class", "subject", "subgroup", "replaced_teacher").order_by("lesson_number"))
    by_slot = {(r.school_class_id, r.subgroup_id, r.subject_id, r.lesson_number): r for r in recorded}
    items: list[DayLesson] = []
    for s in slots:
        lesson = by_slot.pop((s.school_class.pk, s.subgroup.pk if s.subgroup else None, s.subject.pk, s.lesson_number), None)
        items.append(DayLesson(day, s.lesson_number, s.school_class, s.subject, s.subgroup, s.starts_at, s.ends_at, s.room,
                               replaces=s.planned_teacher if s.substitution else None,
                               substitution_reason=s.substitution.reason if s.substitution else "", lesson=lesson))
    for r in by_slot.values():
        if r.teacher_id == teacher.pk:
            items.append(DayLesson(day, r.lesson_number, r.school_class, r.subject, r.subgroup, replaces=r.replaced_teacher,
                                   in_timetable=False, lesson=r))
    _fill_missing(items, day)
    return items


def _fill_missing(items: list[DayLesson], day: dt.date) -> None:
    lessons = [i.lesson for i in items if i.lesson is not None]
    works = list(Work.objects.filter(lesson__in=lessons).select_related("work_type")) if lessons else []
    marked = set(Mark.objects.filter(work__in=works).values_list("work_id", "student_id")) if works else set()
    absent: dict[int, set[int]] = defaultdict(set)
    late: dict[int, int] = defaultdict(int)
    for lesson_id, student_id, status in (Attendance.objects.filter(lesson__in=lessons).values_list("lesson_id", "student_id", "status")
                                          if lessons else []):
        if status == Attendance.Status.ABSENT:
            absent[lesson_id].add(student_id)
        else:
            late[lesson_id] += 1
    works_of: dict[int, list[Work]] = defaultdict(list)
    for work in works:
        works_of[work.lesson_id].append(work)
    per_work: dict[int, int] = defaultdict(int)
    for work_id, _ in marked:
        per_work[work_id] += 1
    students = _students_on(day, [w.lesson for w in works if w.work_type.requires_all_marks])
    for item in items:
        lesson = item.lesson
        if lesson is None:
            item.missing = ["тема", "посещаемость", "домашнее задание"]
            continue
        item.absent, item.late = len(absent[lesson.pk]), late[lesson.pk]
        item.marks = sum(per_work[w.pk] for w in works_of[lesson.pk])
        if not lesson.topic:
            item.missing.append("тема")
        if lesson.attendance_taken_at is None:  # R-J05: a saved record whose attendance was never taken
            item.missing.append("посещаемость не отмечена")
        if not lesson.homework:
            item.missing.append("домашнее задание")
        for work in works_of[lesson.pk]:
            if work.work_type.requires_all_marks:
                present = students.get(lesson.pk, set()) - absent[lesson.pk]
                without = sum(1 for s in present if (work.pk, s) not in marked)
                if without:
                    item.missing.append(f"отметки за «{work.work_type.name}»: нет у {without}")


def _students_on(day: dt.date, lessons: list[Lesson]) -> dict[int, set[int]]:
    """Students of each lesson on `day` (two queries for all of them)."""
    if not lessons:
        return {}
    by_class: dict[int, set[int]] = defaultdict(set)
    for class_id, student_id in (Enrolment.objects.filter(school_class_id__in={ls.school_class_id for ls in lessons}, since__lte=day)
                                 .filter(Q(until__isnull=True) | Q(until__gte=day)).values_list("school_class_id", "student_id")):
        by_class[class_id].add(student_id)
    members: dict[int, set[int]] = defaultdict(set)
    subgroup_ids = {ls.subgroup_id for ls in lessons if ls.subgroup_id}
    if subgroup_ids:
        for subgroup_id, student_id in SubgroupMember.objects.filter(subgroup_id__in=subgroup_ids).values_list("subgroup_id", "student_id"):
            members[subgroup_id].add(student_id)
    return {ls.pk: by_class[ls.school_class_id] & members[ls.subgroup_id] if ls.subgroup_id else by_class[ls.school_class_id]
            for ls in lessons}


@dataclass
class IndexRow:
    school_class: SchoolClass
    subject: Any  # curriculum.Subject
    subgroup: Any  # roster.Subgroup or None
    teachers: list[Person] = field(default_factory=list)


def journal_index(year_id: int | None, *, teacher_id: int | None = None, class_ids: set[int] | None = None,
                  everything: bool = False) -> list[IndexRow]:
    """The journals (class × subject, or subgroup) of a year from the teaching load: all of them
    for readers, else those the teacher teaches and those of the classes they lead. One query."""
    from curriculum.models import TeachingAssignment

    if year_id is None:
        return []
    qs = TeachingAssignment.objects.filter(school_class__year_id=year_id).select_related("school_class", "subject", "subgroup", "teacher")
    if not everything:
        qs = qs.filter(Q(teacher_id=teacher_id) | Q(school_class_id__in=class_ids or set()))
    rows: dict[tuple[int, int, int | None], IndexRow] = {}
    for a in qs.order_by("school_class__grade", "school_class__letter", "subject__name", "subgroup__name"):
        row = rows.setdefault((a.school_class_id, a.subject_id, a.subgroup_id), IndexRow(a.school_class, a.subject, a.subgroup))
        row.teachers.append(a.teacher)
    return list(rows.values())


def class_absences(school_class_id: int, start: dt.date, end: dt.date) -> list[Attendance]:
    """Absences of a class between two dates, for the class teacher's reasons (R-J02). One query."""
    return list(Attendance.objects.filter(lesson__school_class_id=school_class_id, lesson__date__gte=start, lesson__date__lte=end,
                                          status=Attendance.Status.ABSENT)
                .select_related("lesson__subject", "student", "reason_set_by")
                .order_by("-lesson__date", "lesson__lesson_number", "student__surname", "student__name"))


# --- the deputy's control and the end of the period (read by views_control / api_control) --------

REASON_WORKING_DAYS = 2  # 004 §VIII, 003 §3.3.4: the class teacher gives the reason within 2 working days


def change_requests(*, requested_by_id: int | None = None, status: str | None = None, start: dt.date | None = None,
                    end: dt.date | None = None) -> list[ChangeRequest]:
    """Requests «Замена сведений в электронном журнале» (R-J08), newest first, filed between the
    dates (inclusive). One query."""
    qs = ChangeRequest.objects.select_related("school_class", "subject", "requested_by", "decided_by", "lesson")
    if requested_by_id is not None:
        qs = qs.filter(requested_by_id=requested_by_id)
    if status:
        qs = qs.filter(status=status)
    if start is not None:
        qs = qs.filter(requested_at__date__gte=start)
    if end is not None:
        qs = qs.filter(requested_at__date__lte=end)
    return list(qs.order_by("-requested_at", "-id"))


_ATTENDANCE_WORDS = {"": "был", "absent": "Н (отсутствовал)", "late": "О (опоздал)"}
_LESSON_FIELDS = {"topic": "тема", "done": "что сделано", "homework": "домашнее задание"}


def _change_text(change: dict[str, Any], names: dict[int, str], works: dict[int, Work],
                 work_types: dict[int, str] | None = None, periods: dict[int, str] | None = None) -> str:
    op = change.get("op")
    who = names.get(change.get("student") or 0, "")
    if op == "mark":
        work = works.get(change.get("work") or 0)
        what = f"«{work.work_type.name}{' — ' + work.topic if work.topic else ''}»" if work else "работа"
        new = str(change.get("value") or "") or "удалить"
        document = f" (основание: {change['source_document']})" if change.get("source_document") else ""
        return f"{who}: отметка за {what}: {change.get('was') or '—'} → {new}{document}"
    if op == "period_mark":  # R-J11 past the window (the words live with the change requests)
        from .services import period_mark_change_text

        return period_mark_change_text(change, who, periods)
    if op == "new_lesson":
        from .services import new_lesson_change_text

        return new_lesson_change_text(change, names, work_types)
    if op == "attendance":
        was = _ATTENDANCE_WORDS.get(str(change.get("was") or ""), "—")
        return f"{who}: посещаемость: {was} → {_ATTENDANCE_WORDS.get(str(change.get('status') or ''), '—')}"
    raw_was = change.get("was")
    was_fields: dict[str, Any] = raw_was if isinstance(raw_was, dict) else {}
    parts = [f"{label}: «{was_fields.get(name, '')}» → «{change[name]}»" for name, label in _LESSON_FIELDS.items()
             if change.get(name) is not None]
    return "Урок: " + "; ".join(parts) if parts else "Урок"


def describe_changes(lists: list[list[dict[str, Any]]]) -> list[list[str]]:
    """The changes of requests in words («Иванов И.: отметка за «Ответ на уроке»: 2 → 3»), in the
    order given. At most four queries (students, works, work types, study periods) for any number of
    requests (R-J08)."""
    from schoolyear.models import StudyPeriod

    student_ids: set[int] = set()
    work_ids: set[int] = set()
    work_type_ids: set[int] = set()
    period_ids: set[int] = set()
    for changes in lists:
        for change in changes if isinstance(changes, list) else []:
            if isinstance(change, dict):
                if isinstance(change.get("student"), int):
                    student_ids.add(change["student"])
                if isinstance(change.get("work"), int):
                    work_ids.add(change["work"])
                if change.get("op") == "period_mark" and isinstance(change.get("period"), int):
                    period_ids.add(change["period"])
                new_works = change.get("works") if change.get("op") == "new_lesson" else None
                for work in new_works if isinstance(new_works, list) else []:  # a forgotten lesson's works and marks
                    if isinstance(work, dict) and isinstance(work.get("work_type"), int):
                        work_type_ids.add(work["work_type"])
                    marks = work.get("marks") if isinstance(work, dict) else None
                    student_ids.update(int(s) for s in (marks if isinstance(marks, dict) else {}) if str(s).isdecimal())
    names = {p.pk: p.short_name for p in Person.objects.filter(pk__in=student_ids)} if student_ids else {}
    works = {w.pk: w for w in Work.objects.filter(pk__in=work_ids).select_related("work_type")} if work_ids else {}
    types = dict(WorkType.objects.filter(pk__in=work_type_ids).values_list("pk", "name")) if work_type_ids else {}
    periods = dict(StudyPeriod.objects.filter(pk__in=period_ids).values_list("pk", "name")) if period_ids else {}
    return [[_change_text(c, names, works, types, periods) for c in changes if isinstance(c, dict)] if isinstance(changes, list) else []
            for changes in lists]


def reason_overdue_before(today: dt.date) -> dt.date:
    """The last lesson date whose missing absence reason is overdue on `today`: its 2 working
    days (federal production calendar) have passed."""
    from core.workdays import add_working_days

    day = today
    while add_working_days(day, REASON_WORKING_DAYS) >= today:
        day -= dt.timedelta(days=1)
    return day


def absences_without_reason(today: dt.date, *, class_ids: set[int] | None = None) -> list[Attendance]:
    """R-J02: absences of the open year whose reason the class teacher has still not given
    2 working days after the lesson. One query."""
    qs = (Attendance.objects.filter(status=Attendance.Status.ABSENT, reason="", lesson__date__lte=reason_overdue_before(today),
                                    lesson__school_class__year__status="open")
          .select_related("lesson__school_class", "lesson__subject", "student"))
    if class_ids is not None:
        qs = qs.filter(lesson__school_class_id__in=class_ids)
    return list(qs.order_by("lesson__school_class__grade", "lesson__school_class__letter", "lesson__date", "lesson__lesson_number",
                            "student__surname", "student__name"))


def reason_due_after_document(document_date: dt.date) -> dt.date:
    """The last day the class teacher may enter an absence's reason given the document's date:
    2 working days after it (federal production calendar)."""
    from core.workdays import add_working_days

    return add_working_days(document_date, REASON_WORKING_DAYS)


@dataclass(frozen=True)
class LateReason:
    """An absence whose reason was entered after its 2 working days (R-J02)."""

    attendance: Attendance
    due: dt.date  # the last day it was due
    entered_on: dt.date  # the day the reason was entered (school's local date)


def reasons_entered_late(*, class_ids: set[int] | None = None) -> list[LateReason]:
    """R-J02 (004 §VIII: «не позднее 2 рабочих дней после предоставления обучающимся документа»): absences
    of the open year whose reason was entered more than 2 working days after the document's date (the
    date the journal keeps for the document; it cannot have been presented before it). An absence with
    no document date has nothing to count from and is not listed. One query: the database keeps the rows
    entered more than 2 calendar days after the document (working days are never fewer), the
    working-day calendar decides the rest."""
    threshold = ExpressionWrapper(F("document_date") + dt.timedelta(days=REASON_WORKING_DAYS), output_field=DateField())
    qs = (Attendance.objects.filter(status=Attendance.Status.ABSENT, lesson__school_class__year__status="open",
                                    document_date__isnull=False, reason_set_at__isnull=False)
          .exclude(reason="").filter(reason_set_at__date__gt=threshold)
          .select_related("lesson__school_class", "lesson__subject", "student", "reason_set_by"))
    if class_ids is not None:
        qs = qs.filter(lesson__school_class_id__in=class_ids)
    rows: list[LateReason] = []
    for a in qs.order_by("lesson__school_class__grade", "lesson__school_class__letter", "lesson__date", "lesson__lesson_number",
                         "student__surname", "student__name"):
        assert a.document_date is not None and a.reason_set_at is not None
        due, entered_on = reason_due_after_document(a.document_date), timezone.localdate(a.reason_set_at)
        if entered_on > due:
            rows.append(LateReason(a, due, entered_on))
    return rows


@dataclass
class PeriodSubjectRow:
    """One class and subject in a study period: how many students have their period mark, and who
    is short of the current marks the rule asks for (R-J11, R-J12)."""

    school_class: SchoolClass
    subject: Any  # curriculum.Subject
    hours_per_week: Decimal
    min_marks: int
    students: int = 0
    marks_set: int = 0
    short: list[tuple[Person, int]] = field(default_factory=list)  # (student, current marks)


def period_overview(period: Any, *, class_ids: set[int] | None = None) -> list[PeriodSubjectRow]:
    """Every curriculum subject of the classes the period covers (grade 1 and extracurricular subjects
    have no marks, R-J04, R-J15),
    counted like the journal grid (a student's marks in whole-class lessons and in those of their
    subgroups: marks exist only for the students of a lesson). Six queries whatever the
    number of classes, subjects and students."""
    scheme = period.scheme
    classes = SchoolClass.objects.filter(year_id=scheme.year_id, grade__in=list(scheme.grades)).exclude(grade=1)
    if class_ids is not None:
        classes = classes.filter(pk__in=class_ids)
    rows: dict[tuple[int, int], PeriodSubjectRow] = {}
    # Extracurricular subjects (внеурочная деятельность, R-J15) have no marks: nobody is short of them.
    lines = (CurriculumLine.objects.filter(school_class__in=classes).exclude(subject__is_extracurricular=True)
             .exclude(part=CurriculumPart.EXTRACURRICULAR))
    for line in lines.select_related("school_class", "subject").order_by("school_class__grade", "school_class__letter",
                                                                          "subject__name", "pk"):
        key = (line.school_class_id, line.subject_id)
        if key not in rows:
            rows[key] = PeriodSubjectRow(line.school_class, line.subject, line.hours_per_week,
                                         min_marks_required(float(line.hours_per_week)))
    students: dict[int, dict[int, Person]] = defaultdict(dict)
    for enrolment in (Enrolment.objects.filter(school_class__in=classes, since__lte=period.ends_on)
                      .filter(Q(until__isnull=True) | Q(until__gte=period.starts_on)).select_related("student")
                      .order_by("student__surname", "student__name", "student__patronymic")):
        students[enrolment.school_class_id][enrolment.student_id] = enrolment.student
    counts: dict[tuple[int, int, int], int] = {}
    for class_id, subject_id, student_id, n in (
        Mark.objects.filter(kind=MarkKind.GRADE, value__isnull=False, work__lesson__school_class__in=classes,
                            work__lesson__date__gte=period.starts_on,
                            work__lesson__date__lte=period.ends_on)
        .values_list("work__lesson__school_class_id", "work__lesson__subject_id", "student_id").annotate(n=Count("id"))
    ):
        counts[(class_id, subject_id, student_id)] = n
    set_marks: dict[tuple[int, int], set[int]] = defaultdict(set)
    for class_id, subject_id, student_id in (PeriodMark.objects.filter(kind="period", period=period, school_class__in=classes)
                                             .values_list("school_class_id", "subject_id", "student_id")):
        set_marks[(class_id, subject_id)].add(student_id)
    for (class_id, subject_id), row in rows.items():
        pupils = students.get(class_id, {})
        row.students = len(pupils)
        row.marks_set = len(set_marks[(class_id, subject_id)] & pupils.keys())
        for student_id, student in pupils.items():
            n = counts.get((class_id, subject_id, student_id), 0)
            if n < row.min_marks:
                row.short.append((student, n))
    return list(rows.values())


@dataclass
class KtpStatusRow:
    """The КТП (calendar-thematic plan) of one class and subject, or of one subgroup when the
    subject is taught in groups, for the deputy's check (R-J13)."""

    school_class: SchoolClass
    subject: Any  # curriculum.Subject
    has_plan: bool
    overdue: bool  # no plan and 15 October has passed (004 §VI)
    progress: Any  # journal.ktp.KtpProgress (its missed_topics left empty: see `missed`)
    missed: int  # planned topics dated before today and not delivered
    subgroup: Any = None  # roster.Subgroup: the row of one group of a subject taught in groups


def ktp_overview(year: Any, *, on: dt.date, class_ids: set[int] | None = None) -> list[KtpStatusRow]:
    """For every curriculum subject of the year's classes: whether the plan exists, the share of
    the programme and of the curriculum hours delivered (as journal.ktp.progress counts them) and
    the missed topics. A subject taught in groups (a subgroup in the teaching load, a subgroup's
    plan or lessons) gets one row per group: the group's own plan, else the class's, and only the
    lessons the group's students attend (theirs and the whole class's), so two groups of a language
    are not counted twice. Ten queries whatever the number of classes, subjects and groups."""
    from curriculum.models import TeachingAssignment
    from roster.models import Subgroup
    from schoolyear.calendar_service import SchoolCalendar

    from .ktp import DUE_MONTH_DAY, KtpProgress
    from .models import KtpPlan

    lines = CurriculumLine.objects.filter(school_class__year=year).select_related("school_class", "subject")
    if class_ids is not None:
        lines = lines.filter(school_class_id__in=class_ids)
    plans = {(p.school_class_id, p.subject_id, p.subgroup_id): p
             for p in KtpPlan.objects.filter(school_class__year=year).select_related("subgroup")}
    groups: dict[tuple[int, int], dict[int, Any]] = defaultdict(dict)
    for (class_id, subject_id, subgroup_id), own_plan in plans.items():
        if subgroup_id is not None:
            groups[(class_id, subject_id)][subgroup_id] = own_plan.subgroup
    for a in TeachingAssignment.objects.filter(school_class__year=year, subgroup__isnull=False).select_related("subgroup"):
        if a.subgroup_id is not None:
            groups[(a.school_class_id, a.subject_id)].setdefault(a.subgroup_id, a.subgroup)
    given: dict[tuple[int, int, int | None], int] = {}
    for class_id, subject_id, subgroup_id, name, n in (
        Lesson.objects.filter(school_class__year=year, date__lte=on).values("school_class_id", "subject_id", "subgroup_id", "subgroup__name")
        .annotate(n=Count("id")).values_list("school_class_id", "subject_id", "subgroup_id", "subgroup__name", "n")
    ):
        given[(class_id, subject_id, subgroup_id)] = n
        if subgroup_id is not None:
            groups[(class_id, subject_id)].setdefault(subgroup_id, Subgroup(pk=subgroup_id, name=name, school_class_id=class_id))
    # Lessons held at the same time in several groups, for the class-as-a-whole count (as ktp.progress).
    slots = {(c, s): n for c, s, n in Lesson.objects.filter(school_class__year=year, date__lte=on).values("school_class_id", "subject_id")
             .annotate(n=Count(Concat("date", Value(" "), "lesson_number", output_field=CharField()), distinct=True))
             .values_list("school_class_id", "subject_id", "n")}
    topics: dict[int, list[tuple[int, int, dt.date | None]]] = defaultdict(list)
    for plan_id, topic_id, hours, planned in KtpTopic.objects.filter(plan_id__in=[p.pk for p in plans.values()]) \
            .values_list("plan_id", "id", "hours", "planned_date"):
        topics[plan_id].append((topic_id, hours, planned))
    delivered: dict[int, set[int | None]] = defaultdict(set)  # topic -> subgroups (None: whole class) of its lessons
    for topic_id, subgroup_id in (Lesson.objects.filter(ktp_topic__plan__school_class__year=year).values_list("ktp_topic_id", "subgroup_id")
                                  .distinct()):
        delivered[topic_id].add(subgroup_id)
    calendar = SchoolCalendar.for_year(year)
    days: dict[int, int] = {}
    due = dt.date(year.starts_on.year, *DUE_MONTH_DAY)
    rows: list[KtpStatusRow] = []
    seen: set[tuple[int, int]] = set()
    for line in lines.order_by("school_class__grade", "school_class__letter", "subject__name", "pk"):
        key = (line.school_class_id, line.subject_id)
        if key in seen:
            continue
        seen.add(key)
        grade = line.school_class.grade
        if grade not in days:
            days[grade] = calendar.count_school_days(year.starts_on, on, grade)
        hours_to_date = line.hours_per_week * Decimal(days[grade]) / 5
        scopes: list[Any] = sorted(groups[key].values(), key=lambda g: (g.name, g.pk)) if groups.get(key) else [None]
        for subgroup in scopes:
            sg = subgroup.pk if subgroup is not None else None
            plan = plans.get((*key, sg)) or plans.get((*key, None))
            own = {None, sg} if subgroup is not None else None  # None: any lesson counts
            done = {t for t, _, _ in topics.get(plan.pk, [])
                    if delivered.get(t) and (own is None or delivered[t] & own)} if plan else set()
            plan_topics = topics.get(plan.pk, []) if plan else []
            lessons = given.get((*key, sg), 0) + given.get((*key, None), 0) if subgroup is not None else slots.get(key, 0)
            progress = KtpProgress(plan=plan, topics_total=len(plan_topics), topics_delivered=len(done),
                                   planned_hours=sum(h for _, h, _ in plan_topics), lessons_given=lessons,
                                   curriculum_hours_to_date=hours_to_date, missed_topics=[])
            missed = sum(1 for t, _, planned in plan_topics if planned and planned < on and t not in done)
            rows.append(KtpStatusRow(line.school_class, line.subject, plan is not None, plan is None and on > due, progress, missed,
                                     subgroup))
    return rows
